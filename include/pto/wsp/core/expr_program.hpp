// The compiled, flat form of a scalar expression: a short stack-machine program whose leaves were
// resolved to array indices at compile time, so evaluating it costs nanoseconds.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pto/wsp/core/expr.hpp"

namespace pto::wsp {

/// A bound run-time integer array.
struct IntArray {
  const std::int64_t* data = nullptr;
  std::int64_t size = 0;
};

/// Where the leaves of compiled expressions read their values; every pointer is indexed by the
/// indices an ExprScope handed out at compile time.
struct EvalContext {
  const std::int64_t* vars = nullptr;
  const std::int64_t* params = nullptr;
  const std::int64_t* symbols = nullptr;
  const std::int64_t* slots = nullptr;
  const IntArray* arrays = nullptr;
};

/// Resolves the leaves of an expression to indices while it is compiled. Implementations throw
/// CompileError for a leaf that is not allowed where the expression appears.
class ExprScope {
 public:
  virtual ~ExprScope() = default;
  virtual int var_index(const VarDecl& var) = 0;
  virtual int symbol_index(std::string_view name) = 0;
  virtual int param_index(std::string_view name) = 0;
  virtual int slot_index(std::string_view name) = 0;
  virtual int array_index(std::string_view name) = 0;
};

class ExprProgram {
 public:
  enum class Code : std::uint8_t {
    PushConst,
    PushVar,
    PushSymbol,
    PushParam,
    PushSlot,
    LoadArray,
    Neg,
    Not,
    BitNot,
    ToBool,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    BitAnd,
    BitOr,
    BitXor,
    Shl,
    Shr,
    Min,
    Max,
    // The same binary operations with an immediate right operand.
    AddK,
    SubK,
    MulK,
    DivK,
    ModK,
    LtK,
    LeK,
    GtK,
    GeK,
    EqK,
    NeK,
    BitAndK,
    BitOrK,
    BitXorK,
    ShlK,
    ShrK,
    MinK,
    MaxK,
    Jump,
    JumpIfZero,
    JumpIfNonZero,
  };
  struct Instr {
    Code code;
    std::int32_t index;  ///< leaf index or jump target
    std::int64_t imm;    ///< constant
  };

  ExprProgram() = default;
  /// Compiles `expr`, folding constant subexpressions (division by a constant zero is kept, so
  /// that it raises only if it is evaluated).
  static ExprProgram compile(const Expr& expr, ExprScope& scope);

  /// Evaluates the program; throws ExecutionError on division by zero, a shift count outside
  /// [0, 63] or an array index out of range, naming the expression.
  std::int64_t evaluate(const EvalContext& ctx) const {
    if (code_.size() == 1) {  // the common leaf cases, without the interpreter loop
      const Instr& i = code_[0];
      if (i.code == Code::PushConst) return i.imm;
      if (i.code == Code::PushVar) return ctx.vars[i.index];
      if (i.code == Code::PushSymbol) return ctx.symbols[i.index];
      if (i.code == Code::PushParam) return ctx.params[i.index];
    } else if (code_.size() == 2 && code_[0].code == Code::PushVar) {
      // `var op constant` (schedule keys such as `h % 4`, `t * -1`), without the interpreter.
      const auto a = static_cast<std::uint64_t>(ctx.vars[code_[0].index]);
      const Instr& op = code_[1];
      const auto k = static_cast<std::uint64_t>(op.imm);
      switch (op.code) {
        case Code::AddK:
          return static_cast<std::int64_t>(a + k);  // wraps, like the interpreter
        case Code::SubK:
          return static_cast<std::int64_t>(a - k);
        case Code::MulK:
          return static_cast<std::int64_t>(a * k);
        case Code::ModK:
          if (op.imm > 0) return static_cast<std::int64_t>(a) % op.imm;
          break;
        case Code::DivK:
          if (op.imm > 0) return static_cast<std::int64_t>(a) / op.imm;
          break;
        case Code::BitAndK:
          return static_cast<std::int64_t>(a & k);
        default:
          break;
      }
    }
    return run(ctx);
  }

  bool is_constant() const noexcept {
    return code_.size() == 1 && code_[0].code == Code::PushConst;
  }
  std::int64_t constant_value() const noexcept { return code_.empty() ? 0 : code_[0].imm; }
  const std::vector<Instr>& code() const noexcept { return code_; }
  const std::string& source() const noexcept { return source_; }
  int max_stack() const noexcept { return max_stack_; }
  /// One instruction per line, for debugging and tests.
  std::string disassemble() const;

 private:
  std::int64_t run(const EvalContext& ctx) const;
  [[noreturn]] void fail(const std::string& what) const;
  static std::string shift_message(std::int64_t count);

  std::vector<Instr> code_;
  std::vector<std::string> array_names_;  ///< by array index, for error messages
  std::string source_;
  int max_stack_ = 0;
};

}  // namespace pto::wsp
