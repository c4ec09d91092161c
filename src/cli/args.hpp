// Command-line options: --name value pairs, parsed strictly (a value must be a whole number or
// a number, with nothing left over), each error naming the option.
#pragma once
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace cfdm::cli {

class Args {
 public:
  // args: everything after the command name. allowed: option names without "--"; flags take
  // no value. Throws cfdm::Error on an unknown option or a missing value.
  Args(const std::vector<std::string>& args, const std::set<std::string>& allowed,
       const std::set<std::string>& flags = {});

  bool has(const std::string& name) const { return values_.count(name) > 0; }
  std::string text(const std::string& name, const std::string& fallback) const;
  std::string required(const std::string& name) const;
  int64_t integer(const std::string& name, int64_t fallback) const;
  double number(const std::string& name, double fallback) const;
  uint64_t seed(const std::string& name, uint64_t fallback) const;

 private:
  std::map<std::string, std::string> values_;
};

}  // namespace cfdm::cli
