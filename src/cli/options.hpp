// Every option of the command line, spelled once: which commands take it, its value, whether it
// is required, and its help. The parser's allowed names and the help text (cfdm --help) both come
// from this table.
#pragma once
#include <set>
#include <string>

namespace cfdm::cli {

enum class Command { sample, velocity, eval, prepare_data, sweep, compare };

// The option names (without "--") a command takes: those with a value, and the flags.
std::set<std::string> options_with_value(Command command);
std::set<std::string> flag_options(Command command);
// The nearest-neighbour estimator's options other than --estimator (they need --estimator knn).
std::set<std::string> knn_options();

// The whole help text: a synopsis per command, then every option with its help.
std::string usage_text();

}  // namespace cfdm::cli
