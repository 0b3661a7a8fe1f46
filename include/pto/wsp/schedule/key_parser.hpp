// Schedule keys written as text (the CLI's `--stream-by "h % 4"`): a small C-like expression
// language over axis names, parsed into the same Expr a C++ user would write.
#pragma once

#include <string_view>

#include "pto/wsp/core/expr.hpp"

namespace pto::wsp {

/// Parses `text` into an Expr. Identifiers are axis variables (matched by name when the key is
/// compiled against a workload); `param(name)` is a scalar parameter of the task; integer
/// literals; unary - ! ~; binary * / % + - << >> < <= > >= == != & ^ | && || with C precedence
/// and associativity; parentheses; min(a, b), max(a, b), select(c, a, b). Throws ScheduleError
/// naming the text, the column and what was expected.
Expr parse_key(std::string_view text);

}  // namespace pto::wsp
