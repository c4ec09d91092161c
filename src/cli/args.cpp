#include "cli/args.hpp"

#include <cerrno>
#include <cstdlib>

#include "core/error.hpp"

namespace cfdm::cli {

Args::Args(const std::vector<std::string>& args, const std::set<std::string>& allowed,
           const std::set<std::string>& flags) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.rfind("--", 0) != 0) throw Error("unexpected argument " + in_quotes(arg) + " (options start with --)");
    std::string name = arg.substr(2), value;
    const size_t equals = name.find('=');
    if (equals != std::string::npos) {
      value = name.substr(equals + 1);
      name = name.substr(0, equals);
    }
    if (!allowed.count(name) && !flags.count(name)) throw Error("unknown option --" + printable(name) + " (see cfdm --help)");
    if (flags.count(name)) {
      if (equals != std::string::npos) throw Error("--" + name + " takes no value");
      value = "1";
    } else if (equals == std::string::npos) {
      if (i + 1 >= args.size()) throw Error("--" + name + " needs a value");
      value = args[++i];
    }
    if (values_.count(name)) throw Error("--" + name + " is given twice");
    values_[name] = value;
  }
}

std::string Args::text(const std::string& name, const std::string& fallback) const {
  const auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second;
}

std::string Args::required(const std::string& name) const {
  const auto it = values_.find(name);
  if (it == values_.end()) throw Error("--" + name + " is required");
  return it->second;
}

int64_t Args::integer(const std::string& name, int64_t fallback) const {
  const auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  char* end = nullptr;
  errno = 0;
  const long long value = std::strtoll(it->second.c_str(), &end, 10);
  if (errno || end == it->second.c_str() || *end != '\0')
    throw Error("--" + name + ": " + in_quotes(it->second) + " is not a whole number");
  return value;
}

uint64_t Args::seed(const std::string& name, uint64_t fallback) const {
  const auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  char* end = nullptr;
  errno = 0;
  const unsigned long long value = std::strtoull(it->second.c_str(), &end, 10);
  if (errno || end == it->second.c_str() || *end != '\0' || it->second[0] == '-')
    throw Error("--" + name + ": " + in_quotes(it->second) + " is not a whole number >= 0");
  return value;
}

double Args::number(const std::string& name, double fallback) const {
  const auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(it->second.c_str(), &end);
  if (end == it->second.c_str() || *end != '\0') throw Error("--" + name + ": " + in_quotes(it->second) + " is not a number");
  return value;
}

}  // namespace cfdm::cli
