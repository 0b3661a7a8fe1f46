// Scalar expressions over axis variables, task parameters, run-time symbols, slots and integer
// arrays: the language of predicates, sizes, view indices and dispatch keys.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace pto::wsp {

/// Every operation an expression node can hold. X-macro: (enumerator, arity, printed symbol).
#define PTO_WSP_EXPR_OPS(X) \
  X(Const, 0, "")           \
  X(Var, 0, "")             \
  X(Symbol, 0, "")          \
  X(Param, 0, "")           \
  X(Slot, 0, "")            \
  X(ArrayLoad, 1, "")       \
  X(Neg, 1, "-")            \
  X(Not, 1, "!")            \
  X(BitNot, 1, "~")         \
  X(Add, 2, "+")            \
  X(Sub, 2, "-")            \
  X(Mul, 2, "*")            \
  X(Div, 2, "/")            \
  X(Mod, 2, "%")            \
  X(Lt, 2, "<")             \
  X(Le, 2, "<=")            \
  X(Gt, 2, ">")             \
  X(Ge, 2, ">=")            \
  X(Eq, 2, "==")            \
  X(Ne, 2, "!=")            \
  X(And, 2, "&&")           \
  X(Or, 2, "||")            \
  X(BitAnd, 2, "&")         \
  X(BitOr, 2, "|")          \
  X(BitXor, 2, "^")         \
  X(Shl, 2, "<<")           \
  X(Shr, 2, ">>")           \
  X(Min, 2, "min")          \
  X(Max, 2, "max")          \
  X(Select, 3, "select")

enum class ExprOp : std::uint8_t {
#define PTO_WSP_EXPR_ENUM(name, arity, symbol) name,
  PTO_WSP_EXPR_OPS(PTO_WSP_EXPR_ENUM)
#undef PTO_WSP_EXPR_ENUM
};

int arity_of(ExprOp op) noexcept;
const char* symbol_of(ExprOp op) noexcept;
const char* name_of(ExprOp op) noexcept;

/// The declaration of an axis variable; identity is by address, the name is for printing.
struct VarDecl {
  std::string name;
};

struct ExprNode;

/// An immutable integer expression (values are int64; arithmetic wraps in two's complement,
/// `/` and `%` truncate toward zero like C++, comparisons and logic give 0 or 1, && || and select
/// evaluate lazily). Built with the usual C++ operators; `min`, `max`, `select` are functions.
class Expr {
 public:
  Expr(std::int64_t value);  // NOLINT: implicit, so `b * 64 + 1` reads naturally
  Expr(int value) : Expr(static_cast<std::int64_t>(value)) {}  // NOLINT
  explicit Expr(std::shared_ptr<const ExprNode> node) : node_(std::move(node)) {}

  /// A run-time symbol, bound by name before each execution.
  static Expr symbol(std::string name);
  /// A scalar parameter of the task the expression is evaluated for.
  static Expr param(std::string name);
  /// A slot: a small run-time register that kernels may write between tasks.
  static Expr slot(std::string name);
  /// Element `index` of a run-time integer array, bound by name.
  static Expr array_load(std::string array, Expr index);

  const ExprNode& node() const noexcept { return *node_; }
  const std::shared_ptr<const ExprNode>& node_ptr() const noexcept { return node_; }
  ExprOp op() const noexcept;
  /// Structural equality (same ops, constants, names and variables).
  bool same_as(const Expr& other) const noexcept;
  bool is_const() const noexcept;
  std::string to_string() const;

 private:
  std::shared_ptr<const ExprNode> node_;
};

struct ExprNode {
  ExprOp op = ExprOp::Const;
  std::int64_t value = 0;              ///< Const
  std::string name;                    ///< Symbol, Param, Slot, ArrayLoad (the array)
  std::shared_ptr<const VarDecl> var;  ///< Var
  std::vector<Expr> operands;          ///< arity_of(op) entries
};

/// An axis variable: an expression that names one loop index.
class Var : public Expr {
 public:
  explicit Var(std::string name);
  const std::string& name() const noexcept;
  const std::shared_ptr<const VarDecl>& decl() const noexcept;
};

/// A named run-time integer array (ragged lengths, CSR tables, routing tables): `arr[i]`.
class ArrayRef {
 public:
  explicit ArrayRef(std::string name) : name_(std::move(name)) {}
  Expr operator[](Expr index) const { return Expr::array_load(name_, std::move(index)); }
  const std::string& name() const noexcept { return name_; }

 private:
  std::string name_;
};

inline Expr symbol(std::string name) {
  return Expr::symbol(std::move(name));
}
inline Expr param(std::string name) {
  return Expr::param(std::move(name));
}
inline Expr slot(std::string name) {
  return Expr::slot(std::move(name));
}
inline ArrayRef array(std::string name) {
  return ArrayRef(std::move(name));
}

Expr make_expr(ExprOp op, std::vector<Expr> operands);

Expr operator-(const Expr& a);
Expr operator!(const Expr& a);
Expr operator~(const Expr& a);
Expr operator+(const Expr& a, const Expr& b);
Expr operator-(const Expr& a, const Expr& b);
Expr operator*(const Expr& a, const Expr& b);
Expr operator/(const Expr& a, const Expr& b);
Expr operator%(const Expr& a, const Expr& b);
Expr operator<(const Expr& a, const Expr& b);
Expr operator<=(const Expr& a, const Expr& b);
Expr operator>(const Expr& a, const Expr& b);
Expr operator>=(const Expr& a, const Expr& b);
Expr operator==(const Expr& a, const Expr& b);
Expr operator!=(const Expr& a, const Expr& b);
Expr operator&&(const Expr& a, const Expr& b);
Expr operator||(const Expr& a, const Expr& b);
Expr operator&(const Expr& a, const Expr& b);
Expr operator|(const Expr& a, const Expr& b);
Expr operator^(const Expr& a, const Expr& b);
Expr operator<<(const Expr& a, const Expr& b);
Expr operator>>(const Expr& a, const Expr& b);
Expr min(const Expr& a, const Expr& b);
Expr max(const Expr& a, const Expr& b);
Expr select(const Expr& cond, const Expr& then_value, const Expr& else_value);

}  // namespace pto::wsp
