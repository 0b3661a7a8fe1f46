// Test scopes resolve expression leaves by name against fixed lists.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "pto/wsp/core/error.hpp"

namespace pto::wsp::testing_support {

/// Index of `name` in `list`; CompileError("test scope: unknown <what> 'name'") when absent.
inline int index_of_name(const std::vector<std::string>& list, std::string_view name,
                         const char* what) {
  const auto it = std::find(list.begin(), list.end(), name);
  if (it == list.end()) {
    throw CompileError(std::string("test scope: unknown ") + what + " '" + std::string(name) + "'");
  }
  return static_cast<int>(it - list.begin());
}

}  // namespace pto::wsp::testing_support
