// Expression trees: construction, structural equality and printing.
#include "pto/wsp/core/expr.hpp"

#include <fmt/format.h>

#include "pto/wsp/core/error.hpp"

namespace pto::wsp {
namespace {

struct OpInfo {
  const char* name;
  int arity;
  const char* symbol;
};

constexpr OpInfo kOps[] = {
#define PTO_WSP_EXPR_INFO(name, arity, symbol) {#name, arity, symbol},
    PTO_WSP_EXPR_OPS(PTO_WSP_EXPR_INFO)
#undef PTO_WSP_EXPR_INFO
};

std::shared_ptr<ExprNode> leaf(ExprOp op) {
  auto n = std::make_shared<ExprNode>();
  n->op = op;
  return n;
}

void check_name(const std::string& name, const char* what) {
  if (name.empty()) throw CompileError(fmt::format("{}: the name must not be empty", what));
}

}  // namespace

int arity_of(ExprOp op) noexcept {
  return kOps[static_cast<int>(op)].arity;
}
const char* symbol_of(ExprOp op) noexcept {
  return kOps[static_cast<int>(op)].symbol;
}
const char* name_of(ExprOp op) noexcept {
  return kOps[static_cast<int>(op)].name;
}

Expr::Expr(std::int64_t value) {
  auto n = leaf(ExprOp::Const);
  n->value = value;
  node_ = std::move(n);
}

Expr Expr::symbol(std::string name) {
  check_name(name, "symbol");
  auto n = leaf(ExprOp::Symbol);
  n->name = std::move(name);
  return Expr(std::shared_ptr<const ExprNode>(std::move(n)));
}

Expr Expr::param(std::string name) {
  check_name(name, "param");
  auto n = leaf(ExprOp::Param);
  n->name = std::move(name);
  return Expr(std::shared_ptr<const ExprNode>(std::move(n)));
}

Expr Expr::slot(std::string name) {
  check_name(name, "slot");
  auto n = leaf(ExprOp::Slot);
  n->name = std::move(name);
  return Expr(std::shared_ptr<const ExprNode>(std::move(n)));
}

Expr Expr::array_load(std::string array, Expr index) {
  check_name(array, "array");
  auto n = leaf(ExprOp::ArrayLoad);
  n->name = std::move(array);
  n->operands.push_back(std::move(index));
  return Expr(std::shared_ptr<const ExprNode>(std::move(n)));
}

ExprOp Expr::op() const noexcept {
  return node_->op;
}

bool Expr::is_const() const noexcept {
  return node_->op == ExprOp::Const;
}

bool Expr::same_as(const Expr& other) const noexcept {
  if (node_ == other.node_) return true;
  const ExprNode& a = *node_;
  const ExprNode& b = *other.node_;
  if (a.op != b.op || a.value != b.value || a.name != b.name || a.var != b.var ||
      a.operands.size() != b.operands.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.operands.size(); ++i) {
    if (!a.operands[i].same_as(b.operands[i])) return false;
  }
  return true;
}

std::string Expr::to_string() const {
  const ExprNode& n = *node_;
  const auto& ops = n.operands;
  switch (n.op) {
    case ExprOp::Const:
      return fmt::format("{}", n.value);
    case ExprOp::Var:
      return n.var->name;
    case ExprOp::Symbol:
      return n.name;
    case ExprOp::Param:
      return "param(" + n.name + ")";
    case ExprOp::Slot:
      return "slot(" + n.name + ")";
    case ExprOp::ArrayLoad:
      return fmt::format("{}[{}]", n.name, ops[0].to_string());
    case ExprOp::Neg:
    case ExprOp::Not:
    case ExprOp::BitNot:
      return fmt::format("{}{}", symbol_of(n.op), ops[0].to_string());
    case ExprOp::Min:
    case ExprOp::Max:
      return fmt::format("{}({}, {})", symbol_of(n.op), ops[0].to_string(), ops[1].to_string());
    case ExprOp::Select:
      return fmt::format("select({}, {}, {})", ops[0].to_string(), ops[1].to_string(),
                         ops[2].to_string());
    default:
      return fmt::format("({} {} {})", ops[0].to_string(), symbol_of(n.op), ops[1].to_string());
  }
}

Var::Var(std::string name) : Expr(std::int64_t{0}) {
  check_name(name, "Var");
  auto decl = std::make_shared<VarDecl>();
  decl->name = std::move(name);
  auto n = leaf(ExprOp::Var);
  n->var = std::move(decl);
  static_cast<Expr&>(*this) = Expr(std::shared_ptr<const ExprNode>(std::move(n)));
}

const std::string& Var::name() const noexcept {
  return node().var->name;
}
const std::shared_ptr<const VarDecl>& Var::decl() const noexcept {
  return node().var;
}

Expr make_expr(ExprOp op, std::vector<Expr> operands) {
  const int arity = arity_of(op);
  if (arity == 0 || op == ExprOp::ArrayLoad || static_cast<int>(operands.size()) != arity) {
    throw CompileError(fmt::format("make_expr({}): expects {} operands, got {}", name_of(op), arity,
                                   operands.size()));
  }
  auto n = leaf(op);
  n->operands = std::move(operands);
  return Expr(std::shared_ptr<const ExprNode>(std::move(n)));
}

#define PTO_WSP_UNARY(sym, op)         \
  Expr operator sym(const Expr& a) {   \
    return make_expr(ExprOp::op, {a}); \
  }
PTO_WSP_UNARY(-, Neg)
PTO_WSP_UNARY(!, Not)
PTO_WSP_UNARY(~, BitNot)
#undef PTO_WSP_UNARY

#define PTO_WSP_BINARY(sym, op)                     \
  Expr operator sym(const Expr& a, const Expr& b) { \
    return make_expr(ExprOp::op, {a, b});           \
  }
PTO_WSP_BINARY(+, Add)
PTO_WSP_BINARY(-, Sub)
PTO_WSP_BINARY(*, Mul)
PTO_WSP_BINARY(/, Div)
PTO_WSP_BINARY(%, Mod)
PTO_WSP_BINARY(<, Lt)
PTO_WSP_BINARY(<=, Le)
PTO_WSP_BINARY(>, Gt)
PTO_WSP_BINARY(>=, Ge)
PTO_WSP_BINARY(==, Eq)
PTO_WSP_BINARY(!=, Ne)
PTO_WSP_BINARY(&&, And)
PTO_WSP_BINARY(||, Or)
PTO_WSP_BINARY(&, BitAnd)
PTO_WSP_BINARY(|, BitOr)
PTO_WSP_BINARY(^, BitXor)
PTO_WSP_BINARY(<<, Shl)
PTO_WSP_BINARY(>>, Shr)
#undef PTO_WSP_BINARY

Expr min(const Expr& a, const Expr& b) {
  return make_expr(ExprOp::Min, {a, b});
}
Expr max(const Expr& a, const Expr& b) {
  return make_expr(ExprOp::Max, {a, b});
}
Expr select(const Expr& c, const Expr& a, const Expr& b) {
  return make_expr(ExprOp::Select, {c, a, b});
}

}  // namespace pto::wsp
