// Unit tests for scalar expressions: building and printing trees, and compiled programs checked
// against an independent recursive evaluator of the documented semantics.
#include "pto/wsp/core/expr.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "pto/wsp/core/error.hpp"
#include "pto/wsp/core/expr_program.hpp"
#include "support/expect_error.hpp"
#include "support/name_index.hpp"

namespace pto::wsp {
namespace {

__extension__ using i128 = __int128;
using Code = ExprProgram::Code;

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();

// ---- a scope and an environment for the tests -----------------------------------------------

// Hands out indices by position in its lists; anything else is a CompileError.
class TestScope : public ExprScope {
 public:
  std::vector<const VarDecl*> vars;
  std::vector<std::string> symbols, params, slots, arrays;

  int var_index(const VarDecl& var) override {
    for (std::size_t i = 0; i < vars.size(); ++i) {
      if (vars[i] == &var) return static_cast<int>(i);
    }
    throw CompileError("test scope: unknown variable '" + var.name + "'");
  }
  int symbol_index(std::string_view name) override { return find(symbols, name, "symbol"); }
  int param_index(std::string_view name) override { return find(params, name, "param"); }
  int slot_index(std::string_view name) override { return find(slots, name, "slot"); }
  int array_index(std::string_view name) override { return find(arrays, name, "array"); }

 private:
  static int find(const std::vector<std::string>& list, std::string_view name, const char* what) {
    return testing_support::index_of_name(list, name, what);
  }
};

struct Env {
  std::vector<std::int64_t> vars, params, symbols, slots;
  std::vector<std::vector<std::int64_t>> array_data;
  std::vector<IntArray> arrays;

  EvalContext ctx() {
    arrays.clear();
    for (const auto& a : array_data) {
      arrays.push_back(IntArray{a.data(), static_cast<std::int64_t>(a.size())});
    }
    return EvalContext{vars.data(), params.data(), symbols.data(), slots.data(), arrays.data()};
  }
};

// Three variables b, h, t; symbols n, m; param p; slot s; arrays len, idx, empty.
struct World {
  Var b{"b"}, h{"h"}, t{"t"};
  Expr n = symbol("n"), m = symbol("m"), p = param("p"), s = slot("s");
  TestScope scope;
  Env env;

  World() {
    scope.vars = {b.decl().get(), h.decl().get(), t.decl().get()};
    scope.symbols = {"n", "m"};
    scope.params = {"p"};
    scope.slots = {"s"};
    scope.arrays = {"len", "idx", "empty"};
    env.vars = {0, 0, 0};
    env.symbols = {0, 0};
    env.params = {0};
    env.slots = {0};
    env.array_data = {{3, 0, 7, -2, 64}, {0, 1, 2, 3, 4, 5, 6, 7}, {}};
  }
  ExprProgram compile(const Expr& e) { return ExprProgram::compile(e, scope); }
  std::int64_t eval(const Expr& e) { return compile(e).evaluate(env.ctx()); }
};

// ---- the reference evaluator ----------------------------------------------------------------

struct NaiveError {
  std::string reason;
};

// Truncates a mathematical result to int64 (two's complement wrap-around).
std::int64_t wrap(i128 v) {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(v));
}

i128 floor_div(i128 a, i128 b) {
  i128 q = a / b;
  if (q * b != a && ((a < 0) != (b < 0))) --q;
  return q;
}

// Straight from the documented semantics, written without looking at the compiler: int64 values,
// + - * and unary - wrap, / and % truncate toward zero, comparisons and logic give 0/1, && || and
// select only evaluate the side they need, and the run-time errors are raised as NaiveError.
std::int64_t naive_eval(const Expr& e, TestScope& scope, const Env& env) {
  const ExprNode& n = e.node();
  auto arg = [&](std::size_t i) { return naive_eval(n.operands[i], scope, env); };
  auto bin = [&](auto f) {
    const std::int64_t a = arg(0);  // left before right
    const std::int64_t b = arg(1);
    return f(a, b);
  };
  switch (n.op) {
    case ExprOp::Const:
      return n.value;
    case ExprOp::Var:
      return env.vars[scope.var_index(*n.var)];
    case ExprOp::Symbol:
      return env.symbols[scope.symbol_index(n.name)];
    case ExprOp::Param:
      return env.params[scope.param_index(n.name)];
    case ExprOp::Slot:
      return env.slots[scope.slot_index(n.name)];
    case ExprOp::ArrayLoad: {
      const std::int64_t i = arg(0);
      const auto& data = env.array_data[scope.array_index(n.name)];
      if (i < 0 || i >= static_cast<std::int64_t>(data.size())) {
        throw NaiveError{"index " + std::to_string(i) + " is outside array '" + n.name + "'"};
      }
      return data[i];
    }
    case ExprOp::Neg:
      return wrap(-static_cast<i128>(arg(0)));
    case ExprOp::Not:
      return arg(0) == 0 ? 1 : 0;
    case ExprOp::BitNot:
      return wrap(-static_cast<i128>(arg(0)) - 1);
    case ExprOp::Add:
      return bin([](i128 a, i128 b) { return wrap(a + b); });
    case ExprOp::Sub:
      return bin([](i128 a, i128 b) { return wrap(a - b); });
    case ExprOp::Mul:
      return bin([](i128 a, i128 b) { return wrap(a * b); });
    case ExprOp::Div:
      return bin([](i128 a, i128 b) {
        if (b == 0) throw NaiveError{"division by zero"};
        return wrap(a / b);  // exact in 128 bits; MIN / -1 = 2^63 wraps to MIN
      });
    case ExprOp::Mod:
      return bin([](i128 a, i128 b) {
        if (b == 0) throw NaiveError{"modulo by zero"};
        return wrap(a % b);
      });
    case ExprOp::Lt:
      return bin([](std::int64_t a, std::int64_t b) -> std::int64_t { return a < b; });
    case ExprOp::Le:
      return bin([](std::int64_t a, std::int64_t b) -> std::int64_t { return a <= b; });
    case ExprOp::Gt:
      return bin([](std::int64_t a, std::int64_t b) -> std::int64_t { return a > b; });
    case ExprOp::Ge:
      return bin([](std::int64_t a, std::int64_t b) -> std::int64_t { return a >= b; });
    case ExprOp::Eq:
      return bin([](std::int64_t a, std::int64_t b) -> std::int64_t { return a == b; });
    case ExprOp::Ne:
      return bin([](std::int64_t a, std::int64_t b) -> std::int64_t { return a != b; });
    case ExprOp::And:
      return arg(0) == 0 ? 0 : (arg(1) != 0 ? 1 : 0);
    case ExprOp::Or:
      return arg(0) != 0 ? 1 : (arg(1) != 0 ? 1 : 0);
    case ExprOp::BitAnd:
      return bin([](std::int64_t a, std::int64_t b) { return a & b; });
    case ExprOp::BitOr:
      return bin([](std::int64_t a, std::int64_t b) { return a | b; });
    case ExprOp::BitXor:
      return bin([](std::int64_t a, std::int64_t b) { return a ^ b; });
    case ExprOp::Shl:
      return bin([](i128 a, i128 b) {
        if (b < 0 || b > 63)
          throw NaiveError{"shift count " + std::to_string(static_cast<std::int64_t>(b))};
        return wrap(a * (i128{1} << static_cast<int>(b)));
      });
    case ExprOp::Shr:
      return bin([](i128 a, i128 b) {
        if (b < 0 || b > 63)
          throw NaiveError{"shift count " + std::to_string(static_cast<std::int64_t>(b))};
        return wrap(floor_div(a, i128{1} << static_cast<int>(b)));  // arithmetic shift
      });
    case ExprOp::Min:
      return bin([](std::int64_t a, std::int64_t b) { return std::min(a, b); });
    case ExprOp::Max:
      return bin([](std::int64_t a, std::int64_t b) { return std::max(a, b); });
    case ExprOp::Select:
      return arg(0) != 0 ? arg(1) : arg(2);
  }
  throw std::logic_error("naive_eval: unknown op");
}

// The compiled program and the reference agree on the value, or both raise for the same reason
// (ExecutionError, naming the expression).
::testing::AssertionResult agrees(const ExprProgram& prog, const Expr& e, World& w) {
  std::optional<std::int64_t> expected;
  std::string reason;
  try {
    expected = naive_eval(e, w.scope, w.env);
  } catch (const NaiveError& err) {
    reason = err.reason;
  }
  const std::string src = e.to_string();
  try {
    const std::int64_t got = prog.evaluate(w.env.ctx());
    if (!expected) {
      return ::testing::AssertionFailure()
             << src << ": compiled gave " << got << " but the reference raised: " << reason;
    }
    if (got != *expected) {
      return ::testing::AssertionFailure()
             << src << ": compiled gave " << got << ", reference " << *expected << "\n"
             << prog.disassemble();
    }
    return ::testing::AssertionSuccess();
  } catch (const std::exception& err) {
    const std::string msg = err.what();
    if (typeid(err) != typeid(ExecutionError)) {
      return ::testing::AssertionFailure() << src << ": wrong exception type: " << msg;
    }
    if (expected) {
      return ::testing::AssertionFailure()
             << src << ": compiled raised '" << msg << "', reference gave " << *expected;
    }
    if (msg.find("expression '" + src + "'") == std::string::npos) {
      return ::testing::AssertionFailure() << "message does not name the expression: " << msg;
    }
    if (msg.find(reason) == std::string::npos) {
      return ::testing::AssertionFailure()
             << "message '" << msg << "' lacks the reason '" << reason << "'";
    }
    return ::testing::AssertionSuccess();
  }
}

Expr apply_binary(ExprOp op, const Expr& a, const Expr& b) {
  switch (op) {
    case ExprOp::Add:
      return a + b;
    case ExprOp::Sub:
      return a - b;
    case ExprOp::Mul:
      return a * b;
    case ExprOp::Div:
      return a / b;
    case ExprOp::Mod:
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
      return a && b;
    case ExprOp::Or:
      return a || b;
    case ExprOp::BitAnd:
      return a & b;
    case ExprOp::BitOr:
      return a | b;
    case ExprOp::BitXor:
      return a ^ b;
    case ExprOp::Shl:
      return a << b;
    case ExprOp::Shr:
      return a >> b;
    case ExprOp::Min:
      return min(a, b);
    case ExprOp::Max:
      return max(a, b);
    default:
      throw std::logic_error("apply_binary: not a binary op");
  }
}

constexpr ExprOp kBinaryOps[] = {
    ExprOp::Add,    ExprOp::Sub, ExprOp::Mul, ExprOp::Div,    ExprOp::Mod,
    ExprOp::Lt,     ExprOp::Le,  ExprOp::Gt,  ExprOp::Ge,     ExprOp::Eq,
    ExprOp::Ne,     ExprOp::And, ExprOp::Or,  ExprOp::BitAnd, ExprOp::BitOr,
    ExprOp::BitXor, ExprOp::Shl, ExprOp::Shr, ExprOp::Min,    ExprOp::Max,
};

const std::vector<std::int64_t> kInteresting = {
    0, 1, -1, 2, -2, 3, 7, -7, 63, 64, -64, 100, kMax, kMin, kMax - 1, kMin + 1, 1LL << 32,
};

// ---- building and printing ------------------------------------------------------------------

TEST(Expr, ToStringPrintsEveryOperator) {
  const Var b("b"), t("t");
  EXPECT_EQ(Expr(b).to_string(), "b");
  EXPECT_EQ(Expr(42).to_string(), "42");
  EXPECT_EQ(Expr(std::int64_t{-5}).to_string(), "-5");
  EXPECT_EQ(symbol("n").to_string(), "n");
  EXPECT_EQ(param("p").to_string(), "param(p)");
  EXPECT_EQ(slot("s").to_string(), "slot(s)");
  EXPECT_EQ(array("len")[b].to_string(), "len[b]");
  EXPECT_EQ((b * 64 + t).to_string(), "((b * 64) + t)");
  EXPECT_EQ((b - 1).to_string(), "(b - 1)");
  EXPECT_EQ((b / 2).to_string(), "(b / 2)");
  EXPECT_EQ((b % 2).to_string(), "(b % 2)");
  EXPECT_EQ((b < t).to_string(), "(b < t)");
  EXPECT_EQ((b <= t).to_string(), "(b <= t)");
  EXPECT_EQ((b > t).to_string(), "(b > t)");
  EXPECT_EQ((b >= t).to_string(), "(b >= t)");
  EXPECT_EQ((b == t).to_string(), "(b == t)");
  EXPECT_EQ((b != t).to_string(), "(b != t)");
  EXPECT_EQ((b && t).to_string(), "(b && t)");
  EXPECT_EQ((b || t).to_string(), "(b || t)");
  EXPECT_EQ((b & t).to_string(), "(b & t)");
  EXPECT_EQ((b | t).to_string(), "(b | t)");
  EXPECT_EQ((b ^ t).to_string(), "(b ^ t)");
  EXPECT_EQ((b << 2).to_string(), "(b << 2)");
  EXPECT_EQ((b >> 2).to_string(), "(b >> 2)");
  EXPECT_EQ((-b).to_string(), "-b");
  EXPECT_EQ((!b).to_string(), "!b");
  EXPECT_EQ((~b).to_string(), "~b");
  EXPECT_EQ(min(b, 3).to_string(), "min(b, 3)");
  EXPECT_EQ(max(b, t).to_string(), "max(b, t)");
  EXPECT_EQ(select(b < 4, t, 0).to_string(), "select((b < 4), t, 0)");
  EXPECT_EQ(min((t + 1) * 64, array("len")[b]).to_string(), "min(((t + 1) * 64), len[b])");
}

TEST(Expr, OperatorsBuildTheMatchingNodes) {
  const Var a("a"), c("c");
  for (ExprOp op : kBinaryOps) {
    const Expr e = apply_binary(op, a, c);
    EXPECT_EQ(e.op(), op) << name_of(op);
    ASSERT_EQ(e.node().operands.size(), 2u);
    EXPECT_TRUE(e.node().operands[0].same_as(a));
    EXPECT_TRUE(e.node().operands[1].same_as(c));
    EXPECT_EQ(arity_of(op), 2);
  }
  EXPECT_EQ((-a).op(), ExprOp::Neg);
  EXPECT_EQ((!a).op(), ExprOp::Not);
  EXPECT_EQ((~a).op(), ExprOp::BitNot);
  EXPECT_EQ(select(a, 1, 2).op(), ExprOp::Select);
  EXPECT_EQ(array("x")[a].op(), ExprOp::ArrayLoad);
  EXPECT_EQ(array("x")[a].node().name, "x");
  EXPECT_EQ(array("x").name(), "x");
  EXPECT_EQ(arity_of(ExprOp::Select), 3);
  EXPECT_EQ(arity_of(ExprOp::ArrayLoad), 1);
  EXPECT_EQ(arity_of(ExprOp::Const), 0);
  EXPECT_STREQ(symbol_of(ExprOp::Shl), "<<");
  EXPECT_STREQ(symbol_of(ExprOp::Min), "min");
  EXPECT_STREQ(name_of(ExprOp::BitXor), "BitXor");
  EXPECT_TRUE(Expr(3).is_const());
  EXPECT_FALSE(Expr(a).is_const());
  EXPECT_EQ(a.name(), "a");
  EXPECT_EQ(a.decl()->name, "a");
  EXPECT_EQ(a.op(), ExprOp::Var);
}

TEST(Expr, SameAsIsStructuralAndVariablesAreByIdentity) {
  const Var b("b"), b2("b"), t("t");
  EXPECT_TRUE((b * 64 + t).same_as(b * 64 + t));
  EXPECT_FALSE((b * 64 + t).same_as(b * 65 + t));
  EXPECT_FALSE((b * 64 + t).same_as(b * 64 - t));
  EXPECT_FALSE((b + t).same_as(t + b));
  EXPECT_FALSE(Expr(b).same_as(b2)) << "two Vars with one name are different variables";
  EXPECT_EQ(b.to_string(), b2.to_string());
  const Var copy = b;
  EXPECT_TRUE(copy.same_as(b));
  EXPECT_TRUE(symbol("n").same_as(symbol("n")));
  EXPECT_FALSE(symbol("n").same_as(symbol("m")));
  EXPECT_FALSE(symbol("n").same_as(param("n")));
  EXPECT_FALSE(param("n").same_as(slot("n")));
  EXPECT_TRUE(array("len")[b].same_as(array("len")[b]));
  EXPECT_FALSE(array("len")[b].same_as(array("lens")[b]));
  EXPECT_FALSE(array("len")[b].same_as(array("len")[b2]));
  EXPECT_TRUE(Expr(7).same_as(Expr(std::int64_t{7})));
  EXPECT_FALSE(Expr(7).same_as(Expr(8)));
  EXPECT_TRUE(select(b, 1, 2).same_as(select(b, 1, 2)));
  EXPECT_FALSE(select(b, 1, 2).same_as(select(b, 2, 1)));
  EXPECT_FALSE(min(b, 1).same_as(max(b, 1)));
}

TEST(Expr, EmptyNamesAndWrongArityAreCompileErrors) {
  EXPECT_THROW_MSG(symbol(""), CompileError, "symbol", "must not be empty");
  EXPECT_THROW_MSG(param(""), CompileError, "param", "must not be empty");
  EXPECT_THROW_MSG(slot(""), CompileError, "slot", "must not be empty");
  EXPECT_THROW_MSG(array("")[Expr(0)], CompileError, "array", "must not be empty");
  EXPECT_THROW_MSG(Var(""), CompileError, "Var", "must not be empty");
  EXPECT_THROW_MSG(make_expr(ExprOp::Add, {Expr(1)}), CompileError, "make_expr(Add)",
                   "expects 2 operands, got 1");
  EXPECT_THROW_MSG(make_expr(ExprOp::Select, {Expr(1), Expr(2)}), CompileError, "expects 3");
  EXPECT_THROW_MSG(make_expr(ExprOp::Const, {}), CompileError, "make_expr(Const)");
  EXPECT_THROW_MSG(make_expr(ExprOp::ArrayLoad, {Expr(1)}), CompileError, "make_expr(ArrayLoad)");
  EXPECT_EQ(make_expr(ExprOp::Mul, {Expr(6), Expr(7)}).op(), ExprOp::Mul);
}

// ---- compiling and evaluating ---------------------------------------------------------------

TEST(ExprProgram, LeavesResolveThroughTheScope) {
  World w;
  w.env.vars = {3, 5, 7};
  w.env.symbols = {100, 200};
  w.env.params = {-4};
  w.env.slots = {9};
  EXPECT_EQ(w.eval(w.b), 3);
  EXPECT_EQ(w.eval(w.t), 7);
  EXPECT_EQ(w.eval(w.m), 200);
  EXPECT_EQ(w.eval(w.p), -4);
  EXPECT_EQ(w.eval(w.s), 9);
  EXPECT_EQ(w.eval(array("len")[w.b]), -2);
  EXPECT_EQ(w.eval(array("idx")[w.t] + w.n * w.h - w.p * w.s), 7 + 500 + 36);
  EXPECT_EQ(w.eval(min((w.t + 1) * 64, array("len")[4] * 8)), 512);
  w.env.slots = {10};  // a slot read again sees the new value without recompiling
  const ExprProgram prog = w.compile(w.s * 2);
  EXPECT_EQ(prog.evaluate(w.env.ctx()), 20);
  w.env.slots = {11};
  EXPECT_EQ(prog.evaluate(w.env.ctx()), 22);
  // The scope's errors propagate out of compile.
  const Var stranger("q");
  EXPECT_THROW_MSG(w.compile(w.b + stranger), CompileError, "unknown variable 'q'");
  EXPECT_THROW_MSG(w.compile(symbol("zz") * 2), CompileError, "unknown symbol 'zz'");
  EXPECT_THROW_MSG(w.compile(array("nope")[w.b]), CompileError, "unknown array 'nope'");
}

TEST(ExprProgram, EveryOperatorMatchesTheReferenceInEveryOperandForm) {
  World w;
  int checked = 0;
  for (ExprOp op : kBinaryOps) {
    for (std::int64_t x : kInteresting) {
      for (std::int64_t y : kInteresting) {
        w.env.vars = {x, y, 0};
        const Expr forms[] = {
            apply_binary(op, w.b, w.h),          // register form
            apply_binary(op, w.b, Expr(y)),      // immediate right operand
            apply_binary(op, Expr(x), w.h),      // constant left operand
            apply_binary(op, Expr(x), Expr(y)),  // folded at compile time
        };
        for (const Expr& e : forms) {
          const ExprProgram prog = w.compile(e);
          ASSERT_TRUE(agrees(prog, e, w)) << "x=" << x << " y=" << y;
          ++checked;
        }
      }
    }
  }
  for (std::int64_t x : kInteresting) {
    w.env.vars = {x, 0, 0};
    for (const Expr& e : {-Expr(w.b), !Expr(w.b), ~Expr(w.b), -Expr(x), !Expr(x), ~Expr(x)}) {
      ASSERT_TRUE(agrees(w.compile(e), e, w)) << "x=" << x;
    }
  }
  EXPECT_EQ(checked, 20 * 17 * 17 * 4);
}

TEST(ExprProgram, WrappingAndTruncationFollowCpp) {
  World w;
  w.env.vars = {kMin, -1, 0};
  EXPECT_EQ(w.eval(w.b / w.h), kMin);        // register form
  EXPECT_EQ(w.eval(w.b / -1), kMin);         // immediate form
  EXPECT_EQ(w.eval(Expr(kMin) / -1), kMin);  // folded
  EXPECT_EQ(w.eval(w.b % w.h), 0);
  EXPECT_EQ(w.eval(w.b % -1), 0);
  EXPECT_EQ(w.eval(Expr(kMin) % -1), 0);
  EXPECT_EQ(w.eval(-w.b), kMin);
  EXPECT_EQ(w.eval(w.b - 1), kMax);
  EXPECT_EQ(w.eval(Expr(kMax) + 1), kMin);
  EXPECT_EQ(w.eval(w.b * w.h), kMin);
  EXPECT_EQ(w.eval(Expr(kMax) * 2), -2);
  w.env.vars = {-7, 2, -8};
  EXPECT_EQ(w.eval(w.b / w.h), -3);
  EXPECT_EQ(w.eval(w.b % w.h), -1);
  EXPECT_EQ(w.eval(Expr(7) % -w.h), 1);
  EXPECT_EQ(w.eval(w.t >> 1), -4);  // arithmetic shift
  EXPECT_EQ(w.eval(w.b >> 63), -1);
  EXPECT_EQ(w.eval(Expr(1) << 63), kMin);
  EXPECT_EQ(w.eval(w.h << 62), kMin);
  EXPECT_EQ(w.eval(~w.b), 6);
  // Comparisons and logic give exactly 0 or 1.
  EXPECT_EQ(w.eval(w.b && w.h), 1);
  EXPECT_EQ(w.eval(w.b || 0), 1);
  EXPECT_EQ(w.eval(Expr(5) && 7), 1);
  EXPECT_EQ(w.eval(!w.b), 0);
  EXPECT_EQ(w.eval(!(w.b - w.b)), 1);
  EXPECT_EQ(w.eval(w.b < w.h), 1);
  EXPECT_EQ(w.eval(select(w.b, 10, 20)), 10);
}

TEST(ExprProgram, RunTimeErrorsNameTheExpressionAndTheReason) {
  World w;
  w.env.vars = {5, 0, 64};
  EXPECT_THROW_MSG(w.eval(w.b / w.h), ExecutionError, "expression '(b / h)'", "division by zero");
  EXPECT_THROW_MSG(w.eval(w.b % w.h), ExecutionError, "expression '(b % h)'", "modulo by zero");
  EXPECT_THROW_MSG(w.eval(w.b << w.t), ExecutionError, "'(b << t)'", "shift count 64");
  EXPECT_THROW_MSG(w.eval(w.b >> -1), ExecutionError, "'(b >> -1)'", "shift count -1");
  EXPECT_THROW_MSG(w.eval(Expr(1) << 64), ExecutionError, "shift count 64");
  EXPECT_THROW_MSG(w.eval(array("len")[w.b] + 1), ExecutionError, "'(len[b] + 1)'", "index 5",
                   "'len'", "5 entries");
  EXPECT_THROW_MSG(w.eval(array("len")[w.h - 1]), ExecutionError, "index -1", "'len'");
  EXPECT_THROW_MSG(w.eval(array("empty")[w.h]), ExecutionError, "index 0", "'empty'", "0 entries");
  // Errors surface from the middle of a larger expression.
  EXPECT_THROW_MSG(w.eval(min(w.t, 3) + w.b * (w.t / (w.h * 2))), ExecutionError,
                   "division by zero");
}

TEST(ExprProgram, ConstantExpressionsFoldToOnePushConst) {
  World w;
  const Expr e = (Expr(2) + 3) * 4 - 1 + min(Expr(10), 20) - select(Expr(3) > 2, 100, 200);
  const ExprProgram prog = w.compile(e);
  ASSERT_EQ(prog.code().size(), 1u);
  EXPECT_EQ(prog.code()[0].code, Code::PushConst);
  EXPECT_TRUE(prog.is_constant());
  EXPECT_EQ(prog.constant_value(), 19 + 10 - 100);
  EXPECT_EQ(prog.evaluate(w.env.ctx()), -71);
  EXPECT_EQ(prog.source(), e.to_string());
  // Lazy constants fold even when the untaken side would raise.
  for (const Expr& c : {select(1, Expr(7), Expr(1) / 0), select(0, Expr(1) % 0, Expr(7)),
                        (Expr(0) && (Expr(1) / 0)) + 7, (Expr(3) || (Expr(1) << 99)) + 6}) {
    const ExprProgram pc = w.compile(c);
    EXPECT_TRUE(pc.is_constant()) << c.to_string() << "\n" << pc.disassemble();
    EXPECT_EQ(pc.evaluate(w.env.ctx()), 7) << c.to_string();
  }
  EXPECT_FALSE(w.compile(w.b + 1).is_constant());
}

TEST(ExprProgram, SelectWithAConstantConditionNeverEvaluatesTheOtherSide) {
  World w;
  w.env.vars = {11, 0, 0};
  const Expr e = select(1, w.b, Expr(1) / 0);
  const ExprProgram prog = w.compile(e);
  EXPECT_EQ(prog.evaluate(w.env.ctx()), 11);
  EXPECT_EQ(prog.code().size(), 1u) << prog.disassemble();
  EXPECT_EQ(w.eval(select(0, Expr(1) / 0, w.b * 2)), 22);
  // With a run-time condition only the taken side may raise.
  EXPECT_EQ(w.eval(select(w.b, 5, Expr(1) / 0)), 5);
  EXPECT_THROW_MSG(w.eval(select(w.h, 5, Expr(1) / 0)), ExecutionError, "division by zero");
  EXPECT_EQ(w.eval(select(w.h != 0, 100 / w.h, -1)), -1);
  EXPECT_EQ(w.eval((w.h != 0) && (100 / w.h > 3)), 0);
  EXPECT_EQ(w.eval((w.h == 0) || (100 / w.h > 3)), 1);
  EXPECT_EQ(w.eval(w.h && array("empty")[0]), 0);
  EXPECT_THROW_MSG(w.eval(w.b && array("empty")[0]), ExecutionError, "'empty'");
  // A constant left side that does not decide && / || still evaluates the right side.
  EXPECT_EQ(w.eval(Expr(1) && w.b), 1);
  EXPECT_EQ(w.eval(Expr(0) || w.h), 0);
  EXPECT_THROW_MSG(w.eval(Expr(1) && (w.b / w.h)), ExecutionError, "division by zero");
}

TEST(ExprProgram, DivisionByConstantZeroCompilesAndRaisesOnlyWhenEvaluated) {
  World w;
  const Expr e = Expr(1) / 0;
  ExprProgram prog;
  ASSERT_NO_THROW(prog = w.compile(e));
  EXPECT_FALSE(prog.is_constant());
  ASSERT_EQ(prog.code().size(), 2u) << prog.disassemble();
  EXPECT_EQ(prog.code()[0].code, Code::PushConst);
  EXPECT_EQ(prog.code()[1].code, Code::DivK);
  EXPECT_EQ(prog.code()[1].imm, 0);
  EXPECT_THROW_MSG(prog.evaluate(w.env.ctx()), ExecutionError, "expression '(1 / 0)'",
                   "division by zero");
  // Other raising constants are kept for run time as well.
  ASSERT_NO_THROW(w.compile(Expr(5) % 0));
  ASSERT_NO_THROW(w.compile(Expr(1) << 64));
  ASSERT_NO_THROW(w.compile(Expr(1) >> -3));
  EXPECT_THROW_MSG(w.eval(Expr(5) % 0), ExecutionError, "modulo by zero");
  EXPECT_THROW_MSG(w.eval(Expr(1) >> -3), ExecutionError, "shift count -3");
  // Folding multiplication by zero must not hide the error in the other operand.
  EXPECT_THROW_MSG(w.eval(Expr(0) * (Expr(1) / 0)), ExecutionError, "division by zero");
}

TEST(ExprProgram, ImmediateOperandFusion) {
  World w;
  const ExprProgram p1 = w.compile(w.b * 64);
  ASSERT_EQ(p1.code().size(), 2u) << p1.disassemble();
  EXPECT_EQ(p1.code()[0].code, Code::PushVar);
  EXPECT_EQ(p1.code()[0].index, 0);
  EXPECT_EQ(p1.code()[1].code, Code::MulK);
  EXPECT_EQ(p1.code()[1].imm, 64);
  // A constant subexpression on the right is folded into the immediate.
  const ExprProgram p2 = w.compile(w.t + (Expr(2) * 3 - 1));
  ASSERT_EQ(p2.code().size(), 2u) << p2.disassemble();
  EXPECT_EQ(p2.code()[0].index, 2);
  EXPECT_EQ(p2.code()[1].code, Code::AddK);
  EXPECT_EQ(p2.code()[1].imm, 5);
  const ExprProgram p3 = w.compile(w.b * 64 + w.t);
  ASSERT_EQ(p3.code().size(), 4u) << p3.disassemble();
  EXPECT_EQ(p3.code()[3].code, Code::Add);
  w.env.vars = {3, 0, 5};
  EXPECT_EQ(p1.evaluate(w.env.ctx()), 192);
  EXPECT_EQ(p2.evaluate(w.env.ctx()), 10);
  EXPECT_EQ(p3.evaluate(w.env.ctx()), 197);
  EXPECT_EQ(w.compile(array("len")[w.b]).code().back().code, Code::LoadArray);
}

TEST(ExprProgram, SingleLeafPrograms) {
  World w;
  w.env.vars = {0, 41, 0};
  const ExprProgram pv = w.compile(w.h);
  ASSERT_EQ(pv.code().size(), 1u);
  EXPECT_EQ(pv.code()[0].code, Code::PushVar);
  EXPECT_EQ(pv.evaluate(w.env.ctx()), 41);
  w.env.symbols = {0, -9};
  const ExprProgram ps = w.compile(w.m);
  ASSERT_EQ(ps.code().size(), 1u);
  EXPECT_EQ(ps.code()[0].code, Code::PushSymbol);
  EXPECT_EQ(ps.evaluate(w.env.ctx()), -9);
  const ExprProgram pc = w.compile(Expr(kMin));
  EXPECT_TRUE(pc.is_constant());
  EXPECT_EQ(pc.evaluate(w.env.ctx()), kMin);
}

// Depth 40 exceeds the interpreter's 32-entry inline stack.
TEST(ExprProgram, DeepExpressionsBeyondTheInlineStack) {
  World w;
  w.env.vars = {1, 10, 100};
  const Expr leaves[] = {w.b, w.h, w.t};
  // Right-nested: every left operand waits on the stack, so the stack is ~40 deep.
  Expr right = w.t;
  std::int64_t expected = 100;
  for (int i = 0; i < 40; ++i) {
    right = leaves[i % 3] + right;
    expected += (i % 3 == 0) ? 1 : (i % 3 == 1) ? 10 : 100;
  }
  const ExprProgram pr = w.compile(right);
  EXPECT_GE(pr.max_stack(), 40);
  EXPECT_EQ(pr.evaluate(w.env.ctx()), expected);
  EXPECT_TRUE(agrees(pr, right, w));

  // Deeply nested selects and logic, with jumps at every level.
  Expr nest = w.b;
  for (int i = 0; i < 40; ++i) {
    nest = leaves[i % 3] - select((leaves[(i + 1) % 3] > i) && (w.t != i), nest, w.h * (i + 2));
  }
  const ExprProgram pn = w.compile(nest);
  EXPECT_GT(pn.max_stack(), 32);
  EXPECT_TRUE(agrees(pn, nest, w));

  // A very deep one (depth 300) and a left-nested one (shallow stack).
  Expr deep = w.h;
  Expr left = w.h;
  for (int i = 0; i < 300; ++i) {
    deep = (leaves[i % 3] ^ i) - deep;
    left = (left ^ i) - leaves[i % 3];
  }
  const ExprProgram pd = w.compile(deep);
  EXPECT_GT(pd.max_stack(), 290);
  EXPECT_TRUE(agrees(pd, deep, w));
  const ExprProgram pl = w.compile(left);
  EXPECT_LE(pl.max_stack(), 3);
  EXPECT_TRUE(agrees(pl, left, w));
}

TEST(ExprProgram, DisassembleListsOneInstructionPerLine) {
  World w;
  const ExprProgram p = w.compile(select(w.b > 2, w.b * 64, array("len")[w.h]));
  const std::string text = p.disassemble();
  EXPECT_FALSE(text.empty());
  EXPECT_NE(text.find("mul_k"), std::string::npos) << text;
  EXPECT_NE(text.find("load_array"), std::string::npos) << text;
  EXPECT_NE(text.find("jump_if_zero"), std::string::npos) << text;
  EXPECT_EQ(static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')), p.code().size());
  EXPECT_EQ(p.source(), "select((b > 2), (b * 64), len[h])");
}

// ---- random trees against the reference -----------------------------------------------------

class TreeGenerator {
 public:
  TreeGenerator(World& w, std::uint64_t seed) : w_(w), rng_(seed) {}

  Expr tree(int depth) {
    if (depth >= kMaxDepth || pick(100) < 12 + 9 * depth) return leaf();
    const int k = pick(26);
    if (k < 20) {
      const ExprOp op = kBinaryOps[k];
      const Expr a = tree(depth + 1);
      Expr b = tree(depth + 1);
      if ((op == ExprOp::Shl || op == ExprOp::Shr) && pick(2) == 0) b = b & 63;  // often legal
      if ((op == ExprOp::Div || op == ExprOp::Mod) && pick(3) == 0) b = b | 1;   // never zero
      return apply_binary(op, a, b);
    }
    switch (k) {
      case 20:
        return -tree(depth + 1);
      case 21:
        return !tree(depth + 1);
      case 22:
        return ~tree(depth + 1);
      case 23: {
        const Expr c = tree(depth + 1);
        const Expr x = tree(depth + 1);
        return select(c, x, tree(depth + 1));
      }
      case 24:
        return array(kArrays[pick(3)])[tree(depth + 1)];
      default:
        return array(kArrays[pick(2)])[tree(depth + 1) & 7];  // often in range
    }
  }

  // Random values for every leaf and array entry.
  void randomize_env() {
    for (auto& v : w_.env.vars) v = value();
    for (auto& v : w_.env.symbols) v = value();
    for (auto& v : w_.env.params) v = value();
    for (auto& v : w_.env.slots) v = value();
    for (auto& arr : w_.env.array_data) {
      for (auto& v : arr) v = pick(2) ? value() : pick(8);
    }
  }

  static constexpr int kMaxDepth = 8;

 private:
  static constexpr const char* kArrays[] = {"len", "idx", "empty"};

  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

  std::int64_t value() {
    switch (pick(4)) {
      case 0:
        return kInteresting[pick(static_cast<int>(kInteresting.size()))];
      case 1:
        return static_cast<std::int64_t>(rng_());
      default:
        return pick(21) - 10;
    }
  }

  Expr leaf() {
    switch (pick(10)) {
      case 0:
      case 1:
      case 2:
        return Expr(value());
      case 3:
        return w_.b;
      case 4:
        return w_.h;
      case 5:
        return w_.t;
      case 6:
        return pick(2) ? w_.n : w_.m;
      case 7:
        return pick(2) ? w_.p : w_.s;
      case 8:
        return array(kArrays[pick(3)])[pick(2) ? Expr(pick(10) - 1) : Expr(w_.b)];
      default:
        return Expr(pick(5) - 1);  // small constants: 0, -1 and friends
    }
  }

  World& w_;
  std::mt19937_64 rng_;
};

TEST(ExprProgram, RandomTreesAgreeWithTheReferenceEvaluator) {
  World w;
  TreeGenerator gen(w, 0x5eed);
  int values = 0, raised = 0, folded = 0, deep_stack = 0;
  constexpr int kTrees = 6000;
  constexpr int kEnvsPerTree = 4;
  for (int i = 0; i < kTrees; ++i) {
    const Expr e = gen.tree(0);
    ExprProgram prog;
    ASSERT_NO_THROW(prog = w.compile(e)) << e.to_string();
    ASSERT_EQ(prog.source(), e.to_string());
    folded += prog.is_constant();
    deep_stack += prog.max_stack() > 6;
    for (int k = 0; k < kEnvsPerTree; ++k) {
      gen.randomize_env();
      ASSERT_TRUE(agrees(prog, e, w)) << "tree " << i << ", env " << k;
      bool threw = false;
      try {
        (void)naive_eval(e, w.scope, w.env);
      } catch (const NaiveError&) {
        threw = true;
      }
      (threw ? raised : values) += 1;
    }
  }
  // Both outcomes must be common, or the comparison proves little.
  const int total = kTrees * kEnvsPerTree;
  EXPECT_GT(values, total / 5) << "values=" << values << " raised=" << raised;
  EXPECT_GT(raised, total / 20) << "values=" << values << " raised=" << raised;
  EXPECT_GT(folded, 0);
  EXPECT_GT(deep_stack, 0);
  RecordProperty("values", values);
  RecordProperty("raised", raised);
}

// Same trees, with each compiled program reused across many environments (no recompilation).
TEST(ExprProgram, CompiledProgramsAreReusableAcrossEnvironments) {
  World w;
  TreeGenerator gen(w, 99);
  for (int i = 0; i < 300; ++i) {
    const Expr e = gen.tree(2);
    const ExprProgram prog = w.compile(e);
    for (int k = 0; k < 30; ++k) {
      gen.randomize_env();
      ASSERT_TRUE(agrees(prog, e, w)) << "tree " << i << ", env " << k;
    }
  }
}

}  // namespace
}  // namespace pto::wsp
