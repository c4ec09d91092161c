// The command line's help text (cfdm --help).
#pragma once

namespace cfdm::cli {

const char* usage_text();

}  // namespace cfdm::cli
