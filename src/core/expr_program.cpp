// Compiling expression trees to flat stack programs (with constant folding and immediate-operand
// fusion), and the interpreter that evaluates them.
#include "pto/wsp/core/expr_program.hpp"

#include <limits>
#include <optional>
#include <unordered_map>

#include <fmt/format.h>

#include "pto/wsp/core/error.hpp"

namespace pto::wsp {
namespace {

using Code = ExprProgram::Code;
using Instr = ExprProgram::Instr;

std::int64_t wrap_add(std::int64_t a, std::int64_t b) {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) + static_cast<std::uint64_t>(b));
}
std::int64_t wrap_sub(std::int64_t a, std::int64_t b) {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) - static_cast<std::uint64_t>(b));
}
std::int64_t wrap_mul(std::int64_t a, std::int64_t b) {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) * static_cast<std::uint64_t>(b));
}
std::int64_t wrap_neg(std::int64_t a) {
  return static_cast<std::int64_t>(0u - static_cast<std::uint64_t>(a));
}

// Division and shifts that are defined for every operand they accept; nullopt when the operation
// must raise (so constant folding leaves it to run time).
std::optional<std::int64_t> safe_binary(ExprOp op, std::int64_t a, std::int64_t b) {
  switch (op) {
    case ExprOp::Add:
      return wrap_add(a, b);
    case ExprOp::Sub:
      return wrap_sub(a, b);
    case ExprOp::Mul:
      return wrap_mul(a, b);
    case ExprOp::Div:
      if (b == 0) return std::nullopt;
      if (b == -1) return wrap_neg(a);
      return a / b;
    case ExprOp::Mod:
      if (b == 0) return std::nullopt;
      if (b == -1) return 0;
      return a % b;
    case ExprOp::Lt:
      return a < b;
    case ExprOp::Le:
      return a <= b;
    case ExprOp::Gt:
      return a > b;
    case ExprOp::Ge:
      return a >= b;
    case ExprOp::Eq:
      return a == b;
    case ExprOp::Ne:
      return a != b;
    case ExprOp::And:
      return (a != 0) && (b != 0);
    case ExprOp::Or:
      return (a != 0) || (b != 0);
    case ExprOp::BitAnd:
      return a & b;
    case ExprOp::BitOr:
      return a | b;
    case ExprOp::BitXor:
      return a ^ b;
    case ExprOp::Shl:
      if (b < 0 || b > 63) return std::nullopt;
      return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) << b);
    case ExprOp::Shr:
      if (b < 0 || b > 63) return std::nullopt;
      return a >> b;
    case ExprOp::Min:
      return a < b ? a : b;
    case ExprOp::Max:
      return a < b ? b : a;
    default:
      return std::nullopt;
  }
}

Code register_code(ExprOp op) {
  switch (op) {
    case ExprOp::Add:
      return Code::Add;
    case ExprOp::Sub:
      return Code::Sub;
    case ExprOp::Mul:
      return Code::Mul;
    case ExprOp::Div:
      return Code::Div;
    case ExprOp::Mod:
      return Code::Mod;
    case ExprOp::Lt:
      return Code::Lt;
    case ExprOp::Le:
      return Code::Le;
    case ExprOp::Gt:
      return Code::Gt;
    case ExprOp::Ge:
      return Code::Ge;
    case ExprOp::Eq:
      return Code::Eq;
    case ExprOp::Ne:
      return Code::Ne;
    case ExprOp::BitAnd:
      return Code::BitAnd;
    case ExprOp::BitOr:
      return Code::BitOr;
    case ExprOp::BitXor:
      return Code::BitXor;
    case ExprOp::Shl:
      return Code::Shl;
    case ExprOp::Shr:
      return Code::Shr;
    case ExprOp::Min:
      return Code::Min;
    case ExprOp::Max:
      return Code::Max;
    default:
      throw InternalError(fmt::format("no binary code for {}", name_of(op)));
  }
}

// The immediate form sits at a fixed distance from the register form in the enum.
Code immediate_code(Code c) {
  return static_cast<Code>(static_cast<int>(c) - static_cast<int>(Code::Add) +
                           static_cast<int>(Code::AddK));
}

class Compiler {
 public:
  explicit Compiler(ExprScope& scope) : scope_(scope) {}

  // Constant value of a subtree, memoized by node so that compiling is linear in the tree size
  // (and shared subexpressions are folded once).
  std::optional<std::int64_t> fold(const Expr& e) {
    auto it = folded_.find(&e.node());
    if (it != folded_.end()) return it->second;
    std::optional<std::int64_t> v = fold_uncached(e);
    folded_.emplace(&e.node(), v);
    return v;
  }

  std::optional<std::int64_t> fold_uncached(const Expr& e) {
    const ExprNode& n = e.node();
    const auto& ops = n.operands;
    switch (n.op) {
      case ExprOp::Const:
        return n.value;
      case ExprOp::Var:
      case ExprOp::Symbol:
      case ExprOp::Param:
      case ExprOp::Slot:
      case ExprOp::ArrayLoad:
        return std::nullopt;
      case ExprOp::Neg: {
        auto a = fold(ops[0]);
        return a ? std::optional(wrap_neg(*a)) : std::nullopt;
      }
      case ExprOp::Not: {
        auto a = fold(ops[0]);
        return a ? std::optional<std::int64_t>(*a == 0) : std::nullopt;
      }
      case ExprOp::BitNot: {
        auto a = fold(ops[0]);
        return a ? std::optional(~*a) : std::nullopt;
      }
      case ExprOp::And: {
        auto a = fold(ops[0]);
        if (a && *a == 0) return 0;
        auto b = fold(ops[1]);
        if (a && b) return *b != 0;
        return std::nullopt;
      }
      case ExprOp::Or: {
        auto a = fold(ops[0]);
        if (a && *a != 0) return 1;
        auto b = fold(ops[1]);
        if (a && b) return *b != 0;
        return std::nullopt;
      }
      case ExprOp::Select: {
        auto c = fold(ops[0]);
        if (!c) return std::nullopt;
        return fold(ops[*c != 0 ? 1 : 2]);
      }
      default: {
        auto a = fold(ops[0]);
        auto b = fold(ops[1]);
        if (!a || !b) return std::nullopt;
        return safe_binary(n.op, *a, *b);
      }
    }
  }

  void emit(const Expr& e) {
    if (auto c = fold(e)) {
      push({Code::PushConst, 0, *c}, +1);
      return;
    }
    const ExprNode& n = e.node();
    const auto& ops = n.operands;
    switch (n.op) {
      case ExprOp::Const:
        break;  // folded above
      case ExprOp::Var:
        push({Code::PushVar, scope_.var_index(*n.var), 0}, +1);
        break;
      case ExprOp::Symbol:
        push({Code::PushSymbol, scope_.symbol_index(n.name), 0}, +1);
        break;
      case ExprOp::Param:
        push({Code::PushParam, scope_.param_index(n.name), 0}, +1);
        break;
      case ExprOp::Slot:
        push({Code::PushSlot, scope_.slot_index(n.name), 0}, +1);
        break;
      case ExprOp::ArrayLoad: {
        emit(ops[0]);
        const int index = scope_.array_index(n.name);
        if (static_cast<int>(arrays_.size()) <= index) arrays_.resize(index + 1);
        arrays_[index] = n.name;
        push({Code::LoadArray, index, 0}, 0);
        break;
      }
      case ExprOp::Neg:
        emit(ops[0]);
        push({Code::Neg, 0, 0}, 0);
        break;
      case ExprOp::Not:
        emit(ops[0]);
        push({Code::Not, 0, 0}, 0);
        break;
      case ExprOp::BitNot:
        emit(ops[0]);
        push({Code::BitNot, 0, 0}, 0);
        break;
      case ExprOp::And:
      case ExprOp::Or:
        emit_logic(n.op == ExprOp::And, ops[0], ops[1]);
        break;
      case ExprOp::Select:
        emit_select(ops[0], ops[1], ops[2]);
        break;
      default: {
        const Code reg = register_code(n.op);
        emit(ops[0]);
        if (auto b = fold(ops[1])) {
          push({immediate_code(reg), 0, *b}, 0);
        } else {
          emit(ops[1]);
          push({reg, 0, 0}, -1);
        }
      }
    }
  }

  std::vector<Instr> code;
  std::vector<std::string> arrays_;
  int depth = 0;
  int max_depth = 0;

 private:
  void push(Instr i, int delta) {
    code.push_back(i);
    depth += delta;
    if (depth > max_depth) max_depth = depth;
  }

  // a && b:  a; JZ false; b; ToBool; J end; false: 0; end:
  // a || b:  a; JNZ true; b; ToBool; J end; true: 1; end:
  void emit_logic(bool is_and, const Expr& a, const Expr& b) {
    if (auto ca = fold(a)) {  // a constant that does not decide the result alone
      emit(b);
      push({Code::ToBool, 0, 0}, 0);
      return;
    }
    emit(a);
    const std::size_t branch = code.size();
    push({is_and ? Code::JumpIfZero : Code::JumpIfNonZero, 0, 0}, -1);
    emit(b);
    push({Code::ToBool, 0, 0}, 0);
    const std::size_t jump = code.size();
    push({Code::Jump, 0, 0}, -1);
    code[branch].index = static_cast<std::int32_t>(code.size());
    push({Code::PushConst, 0, is_and ? 0 : 1}, +1);
    code[jump].index = static_cast<std::int32_t>(code.size());
  }

  // select(c, a, b):  c; JZ else; a; J end; else: b; end:
  void emit_select(const Expr& c, const Expr& a, const Expr& b) {
    if (auto cc = fold(c)) {
      emit(*cc != 0 ? a : b);
      return;
    }
    emit(c);
    const std::size_t branch = code.size();
    push({Code::JumpIfZero, 0, 0}, -1);
    emit(a);
    const std::size_t jump = code.size();
    push({Code::Jump, 0, 0}, -1);
    code[branch].index = static_cast<std::int32_t>(code.size());
    emit(b);
    code[jump].index = static_cast<std::int32_t>(code.size());
  }

  ExprScope& scope_;
  std::unordered_map<const ExprNode*, std::optional<std::int64_t>> folded_;
};

}  // namespace

ExprProgram ExprProgram::compile(const Expr& expr, ExprScope& scope) {
  Compiler c(scope);
  c.emit(expr);
  ExprProgram p;
  p.code_ = std::move(c.code);
  p.array_names_ = std::move(c.arrays_);
  p.source_ = expr.to_string();
  p.max_stack_ = c.max_depth;
  return p;
}

std::string ExprProgram::shift_message(std::int64_t count) {
  return fmt::format("shift count {} is outside [0, 63]", count);
}

void ExprProgram::fail(const std::string& what) const {
  throw ExecutionError(fmt::format("expression '{}': {}", source_, what));
}

std::int64_t ExprProgram::run(const EvalContext& ctx) const {
  if (code_.empty()) return 0;  // a default-constructed program evaluates to 0
  constexpr int kInlineStack = 32;
  std::int64_t inline_stack[kInlineStack];
  std::vector<std::int64_t> heap_stack;
  std::int64_t* stack = inline_stack;
  if (max_stack_ + 1 > kInlineStack) {
    heap_stack.resize(static_cast<std::size_t>(max_stack_) + 1);
    stack = heap_stack.data();
  }
  int sp = 0;  // index of the top of the stack; stack[0] is a scratch slot under the bottom
  const Instr* const code = code_.data();
  const std::size_t n = code_.size();
  // Each binary operation comes in a register form (both operands on the stack) and an
  // immediate form (right operand in the instruction); one macro writes both cases.
#define PTO_WSP_BINARY_CASES(NAME, ...) \
  case Code::NAME: {                    \
    const std::int64_t b = stack[sp--]; \
    std::int64_t& a = stack[sp];        \
    __VA_ARGS__;                        \
    break;                              \
  }                                     \
  case Code::NAME##K: {                 \
    const std::int64_t b = in.imm;      \
    std::int64_t& a = stack[sp];        \
    __VA_ARGS__;                        \
    break;                              \
  }
  for (std::size_t pc = 0; pc < n; ++pc) {
    const Instr& in = code[pc];
    switch (in.code) {
      case Code::PushConst:
        stack[++sp] = in.imm;
        break;
      case Code::PushVar:
        stack[++sp] = ctx.vars[in.index];
        break;
      case Code::PushSymbol:
        stack[++sp] = ctx.symbols[in.index];
        break;
      case Code::PushParam:
        stack[++sp] = ctx.params[in.index];
        break;
      case Code::PushSlot:
        stack[++sp] = ctx.slots[in.index];
        break;
      case Code::LoadArray: {
        std::int64_t& a = stack[sp];
        const IntArray& arr = ctx.arrays[in.index];
        if (a < 0 || a >= arr.size) [[unlikely]] {
          fail(fmt::format("index {} is outside array '{}' of {} entries", a,
                           array_names_[in.index], arr.size));
        }
        a = arr.data[a];
        break;
      }
      case Code::Neg:
        stack[sp] = wrap_neg(stack[sp]);
        break;
      case Code::Not:
        stack[sp] = (stack[sp] == 0);
        break;
      case Code::BitNot:
        stack[sp] = ~stack[sp];
        break;
      case Code::ToBool:
        stack[sp] = (stack[sp] != 0);
        break;
        PTO_WSP_BINARY_CASES(Add, a = wrap_add(a, b))
        PTO_WSP_BINARY_CASES(Sub, a = wrap_sub(a, b))
        PTO_WSP_BINARY_CASES(Mul, a = wrap_mul(a, b))
        PTO_WSP_BINARY_CASES(Div, if (b == 0) [[unlikely]] fail("division by zero");
                             a = (b == -1) ? wrap_neg(a) : a / b)
        PTO_WSP_BINARY_CASES(Mod, if (b == 0) [[unlikely]] fail("modulo by zero");
                             a = (b == -1) ? 0 : a % b)
        PTO_WSP_BINARY_CASES(Lt, a = a < b)
        PTO_WSP_BINARY_CASES(Le, a = a <= b)
        PTO_WSP_BINARY_CASES(Gt, a = a > b)
        PTO_WSP_BINARY_CASES(Ge, a = a >= b)
        PTO_WSP_BINARY_CASES(Eq, a = a == b)
        PTO_WSP_BINARY_CASES(Ne, a = a != b)
        PTO_WSP_BINARY_CASES(BitAnd, a &= b)
        PTO_WSP_BINARY_CASES(BitOr, a |= b)
        PTO_WSP_BINARY_CASES(BitXor, a ^= b)
        PTO_WSP_BINARY_CASES(Shl, if (b < 0 || b > 63) [[unlikely]] fail(shift_message(b));
                             a = static_cast<std::int64_t>(static_cast<std::uint64_t>(a) << b))
        PTO_WSP_BINARY_CASES(Shr, if (b < 0 || b > 63) [[unlikely]] fail(shift_message(b)); a >>= b)
        PTO_WSP_BINARY_CASES(Min, a = a < b ? a : b)
        PTO_WSP_BINARY_CASES(Max, a = a < b ? b : a)
      case Code::Jump:
        pc = static_cast<std::size_t>(in.index) - 1;
        break;
      case Code::JumpIfZero:
        if (stack[sp--] == 0) pc = static_cast<std::size_t>(in.index) - 1;
        break;
      case Code::JumpIfNonZero:
        if (stack[sp--] != 0) pc = static_cast<std::size_t>(in.index) - 1;
        break;
    }
  }
#undef PTO_WSP_BINARY_CASES
  return stack[1];
}

std::string ExprProgram::disassemble() const {
  static constexpr const char* kNames[] = {"push_const",
                                           "push_var",
                                           "push_symbol",
                                           "push_param",
                                           "push_slot",
                                           "load_array",
                                           "neg",
                                           "not",
                                           "bitnot",
                                           "to_bool",
                                           "add",
                                           "sub",
                                           "mul",
                                           "div",
                                           "mod",
                                           "lt",
                                           "le",
                                           "gt",
                                           "ge",
                                           "eq",
                                           "ne",
                                           "bitand",
                                           "bitor",
                                           "bitxor",
                                           "shl",
                                           "shr",
                                           "min",
                                           "max",
                                           "add_k",
                                           "sub_k",
                                           "mul_k",
                                           "div_k",
                                           "mod_k",
                                           "lt_k",
                                           "le_k",
                                           "gt_k",
                                           "ge_k",
                                           "eq_k",
                                           "ne_k",
                                           "bitand_k",
                                           "bitor_k",
                                           "bitxor_k",
                                           "shl_k",
                                           "shr_k",
                                           "min_k",
                                           "max_k",
                                           "jump",
                                           "jump_if_zero",
                                           "jump_if_nonzero"};
  std::string out;
  for (std::size_t pc = 0; pc < code_.size(); ++pc) {
    const Instr& in = code_[pc];
    out += fmt::format("{:3} {} {} {}\n", pc, kNames[static_cast<int>(in.code)], in.index, in.imm);
  }
  return out;
}

}  // namespace pto::wsp
