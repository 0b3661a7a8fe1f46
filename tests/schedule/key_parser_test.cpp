// Unit tests for the schedule-key parser: parsed keys print and evaluate like the same expression
// written in C++, random keys round-trip against an independent evaluator, and every malformed
// key is reported with its column.
#include "pto/wsp/schedule/key_parser.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "pto/wsp/core/error.hpp"
#include "pto/wsp/core/expr.hpp"
#include "pto/wsp/core/expr_program.hpp"
#include "support/expect_error.hpp"
#include "support/name_index.hpp"

namespace pto::wsp {
namespace {

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();

// ---- a scope that resolves leaves by name ----------------------------------------------------

const std::vector<std::string> kVarNames = {"a", "b", "c", "h", "_t1"};
const std::vector<std::string> kParamNames = {"p", "q"};

// Parsed keys declare a fresh Var per occurrence, so (like the schedule compiler) this scope
// matches variables by name; anything but vars and params is a CompileError.
class NameScope : public ExprScope {
 public:
  int var_index(const VarDecl& var) override { return find(kVarNames, var.name, "variable"); }
  int param_index(std::string_view name) override { return find(kParamNames, name, "param"); }
  int symbol_index(std::string_view name) override { return find({}, name, "symbol"); }
  int slot_index(std::string_view name) override { return find({}, name, "slot"); }
  int array_index(std::string_view name) override { return find({}, name, "array"); }

 private:
  static int find(const std::vector<std::string>& list, std::string_view name, const char* what) {
    return testing_support::index_of_name(list, name, what);
  }
};

// Values of a, b, c, h, _t1 and of p, q.
struct Values {
  std::vector<std::int64_t> vars = std::vector<std::int64_t>(kVarNames.size(), 0);
  std::vector<std::int64_t> params = std::vector<std::int64_t>(kParamNames.size(), 0);
};

std::int64_t evaluate(const Expr& e, const Values& v) {
  NameScope scope;
  const ExprProgram program = ExprProgram::compile(e, scope);
  return program.evaluate(EvalContext{v.vars.data(), v.params.data(), nullptr, nullptr, nullptr});
}

std::string printed(std::string_view key) {
  return parse_key(key).to_string();
}

// ---- printing: the same tree as C++ builds -------------------------------------------------

TEST(KeyParser, PrintsLikeTheSameExpressionWrittenInCpp) {
  const Var a("a"), b("b"), c("c"), h("h");
  EXPECT_EQ(printed("h % 4"), (h % 4).to_string());
  EXPECT_EQ(printed("h"), h.to_string());
  EXPECT_EQ(printed("42"), Expr(42).to_string());
  EXPECT_EQ(printed("(b * 64 + h) >> 2"), ((b * 64 + h) >> 2).to_string());
  EXPECT_EQ(printed("h * -5"), (h * -5).to_string());
  EXPECT_EQ(printed("min(a, b)"), min(a, b).to_string());
  EXPECT_EQ(printed("max(a - 1, 0)"), max(a - 1, 0).to_string());
  EXPECT_EQ(printed("select(h < 8, a, b + c)"), select(h < 8, a, b + c).to_string());
  EXPECT_EQ(printed("param(p) * h"), (param("p") * h).to_string());
  EXPECT_EQ(printed("!a || ~b != -c"), (!a || ~b != -c).to_string());
  EXPECT_EQ(printed("a <= b && b >= c && a > 0"), (a <= b && b >= c && a > 0).to_string());
  EXPECT_EQ(printed("a / 3 - a % 3 + (a << 2) - (a >> 1)"),
            (a / 3 - a % 3 + (a << 2) - (a >> 1)).to_string());
}

TEST(KeyParser, NegatedLiteralIsAConstantLikeInCpp) {
  const Var h("h");
  // C++ folds `-5` before it becomes an Expr; the parser does the same, so the trees match.
  EXPECT_TRUE(parse_key("-5").is_const());
  EXPECT_EQ(parse_key("-5").node().value, -5);
  EXPECT_EQ(parse_key("- 0x10").node().value, -16);
  EXPECT_EQ(parse_key("-(5)").op(), ExprOp::Neg);
  EXPECT_EQ(parse_key("--5").op(), ExprOp::Neg);
  EXPECT_EQ(printed("--5"), "--5");
  EXPECT_EQ(parse_key("-a").op(), ExprOp::Neg);
}

TEST(KeyParser, LiteralsCoverTheWholeInt64Range) {
  EXPECT_EQ(parse_key("9223372036854775807").node().value, kMax);
  EXPECT_EQ(parse_key("-9223372036854775808").node().value, kMin);
  EXPECT_EQ(parse_key("0x7fffffffffffffff").node().value, kMax);
  EXPECT_EQ(parse_key("-0X8000000000000000").node().value, kMin);
  EXPECT_EQ(parse_key("0xDeadBeef").node().value, std::int64_t{0xDEADBEEF});
  EXPECT_EQ(parse_key("0").node().value, 0);
  EXPECT_EQ(parse_key("0x0").node().value, 0);
}

TEST(KeyParser, IdentifiersAreAxisVariablesByName) {
  const Expr e = parse_key("_t1 + h2");
  ASSERT_EQ(e.op(), ExprOp::Add);
  EXPECT_EQ(e.node().operands[0].op(), ExprOp::Var);
  EXPECT_EQ(e.node().operands[0].node().var->name, "_t1");
  EXPECT_EQ(e.node().operands[1].node().var->name, "h2");
  // Names that are functions elsewhere are fine as parameter names.
  EXPECT_EQ(parse_key("param(min)").op(), ExprOp::Param);
  EXPECT_EQ(parse_key("param(min)").node().name, "min");
  // Identifiers that merely start with a function name are variables.
  EXPECT_EQ(parse_key("minimum").op(), ExprOp::Var);
}

TEST(KeyParser, WhitespaceIsAllowedBetweenAnyTokens) {
  EXPECT_EQ(printed(" \t( h\n%4 )\r\n "), printed("h%4"));
  EXPECT_EQ(printed("min ( a ,b )"), printed("min(a,b)"));
  EXPECT_EQ(printed("param ( p )"), printed("param(p)"));
  EXPECT_EQ(printed("a<<1"), "(a << 1)");
  EXPECT_EQ(printed("a - - 1"), "(a - -1)");
}

// ---- precedence and associativity ------------------------------------------------------------

TEST(KeyParser, BinaryOperatorsAssociateToTheLeft) {
  EXPECT_EQ(printed("1 - 2 - 3"), "((1 - 2) - 3)");
  EXPECT_EQ(printed("a / b / c"), "((a / b) / c)");
  EXPECT_EQ(printed("a % b * c"), "((a % b) * c)");
  EXPECT_EQ(printed("a << b >> c"), "((a << b) >> c)");
  EXPECT_EQ(printed("a < b > c"), "((a < b) > c)");
  EXPECT_EQ(printed("a == b != c"), "((a == b) != c)");
  EXPECT_EQ(printed("a || b || c"), "((a || b) || c)");
  EXPECT_EQ(printed("1 - (2 - 3)"), "(1 - (2 - 3))");
}

TEST(KeyParser, BinaryOperatorsFollowCPrecedence) {
  EXPECT_EQ(printed("2 + 3 * 4"), "(2 + (3 * 4))");
  EXPECT_EQ(printed("(2 + 3) * 4"), "((2 + 3) * 4)");
  EXPECT_EQ(printed("a << 1 + 2"), "(a << (1 + 2))");
  EXPECT_EQ(printed("a < b << 1"), "(a < (b << 1))");
  EXPECT_EQ(printed("a < b == c"), "((a < b) == c)");
  EXPECT_EQ(printed("a == b < c"), "(a == (b < c))");
  EXPECT_EQ(printed("a & b == c"), "(a & (b == c))");
  EXPECT_EQ(printed("a & b | c ^ d"), "((a & b) | (c ^ d))");
  EXPECT_EQ(printed("a | b ^ c & d"), "(a | (b ^ (c & d)))");
  EXPECT_EQ(printed("a && b | c"), "(a && (b | c))");
  EXPECT_EQ(printed("a || b && c"), "(a || (b && c))");
  EXPECT_EQ(printed("a && b || c"), "((a && b) || c)");
}

TEST(KeyParser, UnaryOperatorsBindTighterThanAnyBinary) {
  EXPECT_EQ(printed("-a * b"), "(-a * b)");
  EXPECT_EQ(parse_key("-a * b").op(), ExprOp::Mul);
  EXPECT_EQ(printed("!(a)"), "!a");
  EXPECT_EQ(printed("!(a == b)"), "!(a == b)");
  EXPECT_EQ(printed("~a & b"), "(~a & b)");
  EXPECT_EQ(printed("!-~a"), "!-~a");
  EXPECT_EQ(printed("a - -b"), "(a - -b)");
  EXPECT_EQ(printed("min(a, b) * 2"), "(min(a, b) * 2)");
}

// ---- evaluation ----------------------------------------------------------------------------

TEST(KeyParser, ParsedKeysEvaluateLikeTheCppExpression) {
  struct Case {
    const char* key;
    std::function<std::int64_t(std::int64_t a, std::int64_t b, std::int64_t h, std::int64_t p)>
        expected;
  };
  const std::vector<Case> cases = {
      {"h % 4", [](auto, auto, auto h, auto) { return h % 4; }},
      {"(b * 64 + h) >> 2", [](auto, auto b, auto h, auto) { return (b * 64 + h) >> 2; }},
      {"h / 3 - h % 3", [](auto, auto, auto h, auto) { return h / 3 - h % 3; }},
      {"select(h < 8, min(a, b), max(a, -b))",
       [](auto a, auto b, auto h, auto) { return h < 8 ? std::min(a, b) : std::max(a, -b); }},
      {"param(p) * h + 1", [](auto, auto, auto h, auto p) { return p * h + 1; }},
      {"!a || b && h", [](auto a, auto b, auto h, auto) -> std::int64_t { return !a || (b && h); }},
      {"~a ^ b | h & 6", [](auto a, auto b, auto h, auto) { return (~a ^ b) | (h & 6); }},
      {"a < b == h > param(p)",
       [](auto a, auto b, auto h, auto p) -> std::int64_t { return (a < b) == (h > p); }},
      {"1 - 2 - 3 + a", [](auto a, auto, auto, auto) { return 1 - 2 - 3 + a; }},
      {"-a * b << 1 + 2", [](auto a, auto b, auto, auto) { return (-a * b) << 3; }},
      {"(a != 0) * 100 + 0x10",
       [](auto a, auto, auto, auto) -> std::int64_t { return (a != 0) * 100 + 16; }},
  };
  const std::vector<std::int64_t> values = {-7, -1, 0, 1, 2, 5, 9, 64};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.key);
    const Expr e = parse_key(c.key);
    for (std::int64_t a : values) {
      for (std::int64_t b : values) {
        for (std::int64_t h : values) {
          Values v;
          v.vars = {a, b, 0, h, 0};
          v.params = {b - a, 0};
          ASSERT_EQ(evaluate(e, v), c.expected(a, b, h, b - a))
              << "a=" << a << " b=" << b << " h=" << h;
        }
      }
    }
  }
}

// ---- random keys against an independent evaluator --------------------------------------------

// A random expression of the test's own: rendered to text with C's minimal parentheses and
// random spacing, evaluated directly from the documented semantics, and built with the C++
// operators, without going through the parser.
struct Gen {
  enum Kind { Lit, VarRef, ParamRef, Unary, Binary, Call } kind = Lit;
  std::uint64_t value = 0;  // Lit: non-negative, written as decimal or hex
  bool hex = false;
  std::string name;  // VarRef, ParamRef, Call (min, max, select)
  char unary = '-';
  int binary = 0;  // index into kTestBinary
  std::vector<Gen> kids;
};

struct TestBinary {
  const char* spelling;
  int precedence;  // C's table, written here independently of the parser
  Expr (*build)(const Expr&, const Expr&);
  std::int64_t (*eval)(std::int64_t, std::int64_t);
};

std::int64_t wrapped(std::uint64_t v) {
  return static_cast<std::int64_t>(v);
}
std::uint64_t u(std::int64_t v) {
  return static_cast<std::uint64_t>(v);
}

const TestBinary kTestBinary[] = {
    {"*", 10, [](const Expr& x, const Expr& y) { return x * y; },
     [](std::int64_t x, std::int64_t y) { return wrapped(u(x) * u(y)); }},
    {"/", 10, [](const Expr& x, const Expr& y) { return x / y; },
     [](std::int64_t x, std::int64_t y) -> std::int64_t {
       if (y == 0) ADD_FAILURE() << "the generator divided by zero";
       if (y == -1) return wrapped(0 - u(x));  // MIN / -1 wraps
       return y == 0 ? 0 : x / y;
     }},
    {"%", 10, [](const Expr& x, const Expr& y) { return x % y; },
     [](std::int64_t x, std::int64_t y) -> std::int64_t {
       if (y == 0) ADD_FAILURE() << "the generator took a modulo by zero";
       if (y == -1 || y == 0) return 0;
       return x % y;
     }},
    {"+", 9, [](const Expr& x, const Expr& y) { return x + y; },
     [](std::int64_t x, std::int64_t y) { return wrapped(u(x) + u(y)); }},
    {"-", 9, [](const Expr& x, const Expr& y) { return x - y; },
     [](std::int64_t x, std::int64_t y) { return wrapped(u(x) - u(y)); }},
    {"<<", 8, [](const Expr& x, const Expr& y) { return x << y; },
     [](std::int64_t x, std::int64_t y) -> std::int64_t {
       if (y < 0 || y > 63) ADD_FAILURE() << "the generator made a bad shift " << y;
       return wrapped(u(x) << (y & 63));
     }},
    {">>", 8, [](const Expr& x, const Expr& y) { return x >> y; },
     [](std::int64_t x, std::int64_t y) -> std::int64_t {
       if (y < 0 || y > 63) ADD_FAILURE() << "the generator made a bad shift " << y;
       return x >> (y & 63);  // arithmetic since C++20
     }},
    {"<", 7, [](const Expr& x, const Expr& y) { return x < y; },
     [](std::int64_t x, std::int64_t y) -> std::int64_t { return x < y; }},
    {"<=", 7, [](const Expr& x, const Expr& y) { return x <= y; },
     [](std::int64_t x, std::int64_t y) -> std::int64_t { return x <= y; }},
    {">", 7, [](const Expr& x, const Expr& y) { return x > y; },
     [](std::int64_t x, std::int64_t y) -> std::int64_t { return x > y; }},
    {">=", 7, [](const Expr& x, const Expr& y) { return x >= y; },
     [](std::int64_t x, std::int64_t y) -> std::int64_t { return x >= y; }},
    {"==", 6, [](const Expr& x, const Expr& y) { return x == y; },
     [](std::int64_t x, std::int64_t y) -> std::int64_t { return x == y; }},
    {"!=", 6, [](const Expr& x, const Expr& y) { return x != y; },
     [](std::int64_t x, std::int64_t y) -> std::int64_t { return x != y; }},
    {"&", 5, [](const Expr& x, const Expr& y) { return x & y; },
     [](std::int64_t x, std::int64_t y) { return x & y; }},
    {"^", 4, [](const Expr& x, const Expr& y) { return x ^ y; },
     [](std::int64_t x, std::int64_t y) { return x ^ y; }},
    {"|", 3, [](const Expr& x, const Expr& y) { return x | y; },
     [](std::int64_t x, std::int64_t y) { return x | y; }},
    {"&&", 2, [](const Expr& x, const Expr& y) { return x && y; },
     [](std::int64_t x, std::int64_t y) -> std::int64_t { return x != 0 && y != 0; }},
    {"||", 1, [](const Expr& x, const Expr& y) { return x || y; },
     [](std::int64_t x, std::int64_t y) -> std::int64_t { return x != 0 || y != 0; }},
};
constexpr int kTestBinaryCount = static_cast<int>(std::size(kTestBinary));

int binary_index(std::string_view spelling) {
  for (int i = 0; i < kTestBinaryCount; ++i) {
    if (kTestBinary[i].spelling == spelling) return i;
  }
  return -1;
}

class Generator {
 public:
  explicit Generator(std::uint32_t seed) : rng_(seed) {}

  Gen expr(int depth) {
    if (depth == 0 || pick(4) == 0) return leaf();
    const int k = pick(10);
    if (k < 2) {
      Gen g = node(Gen::Unary);
      g.unary = "-!~"[pick(3)];
      g.kids.push_back(expr(depth - 1));
      return g;
    }
    if (k < 4) {
      Gen g = node(Gen::Call);
      const int f = pick(3);
      g.name = f == 0 ? "min" : f == 1 ? "max" : "select";
      for (int i = 0; i < (f == 2 ? 3 : 2); ++i) g.kids.push_back(expr(depth - 1));
      return g;
    }
    Gen g = node(Gen::Binary);
    g.binary = pick(kTestBinaryCount);
    g.kids.push_back(expr(depth - 1));
    Gen rhs = expr(depth - 1);
    const std::string_view op = kTestBinary[g.binary].spelling;
    // Keep every run-time operation defined: divisors are odd (x | 1 is never 0) and shift
    // counts are x & 63.
    if (op == "/" || op == "%") rhs = binary(binary_index("|"), std::move(rhs), lit(1));
    if (op == "<<" || op == ">>") rhs = binary(binary_index("&"), std::move(rhs), lit(63));
    g.kids.push_back(std::move(rhs));
    return g;
  }

  // Renders with only the parentheses C needs, plus a few redundant ones, and random spacing
  // before every token. Appending token by token keeps the draws in a fixed order.
  std::string render(const Gen& g) {
    std::string out;
    render(g, out);
    return out;
  }

  std::mt19937& rng() { return rng_; }

 private:
  void render(const Gen& g, std::string& out) {
    switch (g.kind) {
      case Gen::Lit:
        return token(out, g.hex ? fmt_hex(g.value) : std::to_string(g.value));
      case Gen::VarRef:
        return token(out, g.name);
      case Gen::ParamRef:
        token(out, "param");
        token(out, "(");
        token(out, g.name);
        return token(out, ")");
      case Gen::Unary:
        token(out, std::string(1, g.unary));
        return wrap(g.kids[0], g.kids[0].kind == Gen::Binary, out);
      case Gen::Binary: {
        const int prec = kTestBinary[g.binary].precedence;
        const Gen& l = g.kids[0];
        const Gen& r = g.kids[1];
        wrap(l, l.kind == Gen::Binary && kTestBinary[l.binary].precedence < prec, out);
        token(out, kTestBinary[g.binary].spelling);
        return wrap(r, r.kind == Gen::Binary && kTestBinary[r.binary].precedence <= prec, out);
      }
      case Gen::Call:
        token(out, g.name);
        token(out, "(");
        for (std::size_t i = 0; i < g.kids.size(); ++i) {
          if (i > 0) token(out, ",");
          wrap(g.kids[i], false, out);
        }
        return token(out, ")");
    }
  }

  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

  static Gen node(Gen::Kind kind) {
    Gen g;
    g.kind = kind;
    return g;
  }
  static Gen lit(std::uint64_t v) {
    Gen g;
    g.value = v;
    return g;
  }
  static Gen binary(int index, Gen l, Gen r) {
    Gen g = node(Gen::Binary);
    g.binary = index;
    g.kids.push_back(std::move(l));
    g.kids.push_back(std::move(r));
    return g;
  }

  Gen leaf() {
    const int k = pick(10);
    if (k < 5) {
      Gen g = node(Gen::VarRef);
      g.name = kVarNames[pick(static_cast<int>(kVarNames.size()))];
      return g;
    }
    if (k < 6) {
      Gen g = node(Gen::ParamRef);
      g.name = kParamNames[pick(static_cast<int>(kParamNames.size()))];
      return g;
    }
    static constexpr std::uint64_t kBig[] = {
        0, 1, 63, 64, std::uint64_t{1} << 32, std::uint64_t{1} << 62, 0x7fffffffffffffff};
    Gen g = lit(k < 9 ? static_cast<std::uint64_t>(pick(100))
                      : kBig[pick(static_cast<int>(std::size(kBig)))]);
    g.hex = pick(4) == 0;
    return g;
  }

  // Parenthesizes when needed, and sometimes when not (never a bare literal: "-(0)" is Neg(0)
  // while "-0" is the constant 0, and build() below models only the latter).
  void wrap(const Gen& g, bool needed, std::string& out) {
    const bool redundant = g.kind != Gen::Lit && pick(8) == 0;
    if (needed || redundant) token(out, "(");
    render(g, out);
    if (needed || redundant) token(out, ")");
  }

  void token(std::string& out, std::string_view t) {
    static constexpr const char* kSpaces[] = {"", "", "", " ", " ", "  ", "\t", "\n"};
    out += kSpaces[pick(static_cast<int>(std::size(kSpaces)))];
    out += t;
  }

  static std::string fmt_hex(std::uint64_t v) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string s;
    do {
      s.insert(s.begin(), kDigits[v % 16]);
      v /= 16;
    } while (v != 0);
    return "0x" + s;
  }

  std::mt19937 rng_;
};

std::int64_t lookup(const std::vector<std::string>& names, const std::vector<std::int64_t>& values,
                    const std::string& name) {
  return values[std::find(names.begin(), names.end(), name) - names.begin()];
}

std::int64_t oracle(const Gen& g, const Values& v) {
  switch (g.kind) {
    case Gen::Lit:
      return static_cast<std::int64_t>(g.value);
    case Gen::VarRef:
      return lookup(kVarNames, v.vars, g.name);
    case Gen::ParamRef:
      return lookup(kParamNames, v.params, g.name);
    case Gen::Unary: {
      const std::int64_t x = oracle(g.kids[0], v);
      if (g.unary == '-') return wrapped(0 - u(x));
      if (g.unary == '!') return x == 0 ? 1 : 0;
      return ~x;
    }
    case Gen::Binary:
      // Every operation is total here (see the generator), so evaluating both sides of && ||
      // eagerly gives the same value as the lazy semantics.
      return kTestBinary[g.binary].eval(oracle(g.kids[0], v), oracle(g.kids[1], v));
    case Gen::Call: {
      const std::int64_t x = oracle(g.kids[0], v);
      const std::int64_t y = oracle(g.kids[1], v);
      if (g.name == "min") return std::min(x, y);
      if (g.name == "max") return std::max(x, y);
      return x != 0 ? y : oracle(g.kids[2], v);
    }
  }
  return 0;
}

// The Expr a C++ user would write for `g`: `-5` is a constant there, as in the parser.
Expr build(const Gen& g) {
  switch (g.kind) {
    case Gen::Lit:
      return Expr(static_cast<std::int64_t>(g.value));
    case Gen::VarRef:
      return Var(g.name);
    case Gen::ParamRef:
      return param(g.name);
    case Gen::Unary: {
      const Gen& k = g.kids[0];
      if (g.unary == '-' && k.kind == Gen::Lit) return Expr(-static_cast<std::int64_t>(k.value));
      const Expr x = build(k);
      return g.unary == '-' ? -x : g.unary == '!' ? !x : ~x;
    }
    case Gen::Binary:
      return kTestBinary[g.binary].build(build(g.kids[0]), build(g.kids[1]));
    case Gen::Call:
      if (g.name == "min") return min(build(g.kids[0]), build(g.kids[1]));
      if (g.name == "max") return max(build(g.kids[0]), build(g.kids[1]));
      return select(build(g.kids[0]), build(g.kids[1]), build(g.kids[2]));
  }
  return Expr(0);
}

TEST(KeyParser, RandomKeysRoundTripAgainstAnIndependentEvaluator) {
  Generator gen(20240611);
  const std::vector<std::int64_t> interesting = {0, 1, -1, 2, 7, -64, 1000003, kMax, kMin};
  for (int i = 0; i < 3000; ++i) {
    const Gen g = gen.expr(1 + i % 6);
    const std::string key = gen.render(g);
    SCOPED_TRACE("key: " + key);
    Expr parsed(0);
    ASSERT_NO_THROW(parsed = parse_key(key));
    ASSERT_EQ(parsed.to_string(), build(g).to_string());
    for (int trial = 0; trial < 4; ++trial) {
      Values v;
      for (auto& x : v.vars) {
        x = interesting[std::uniform_int_distribution<std::size_t>(
            0, interesting.size() - 1)(gen.rng())];
      }
      for (auto& x : v.params) x = std::uniform_int_distribution<std::int64_t>(-50, 50)(gen.rng());
      ASSERT_EQ(evaluate(parsed, v), oracle(g, v));
    }
  }
}

// ---- nesting limits --------------------------------------------------------------------------

TEST(KeyParser, ModerateNestingParses) {
  const int n = 200;
  EXPECT_EQ(parse_key(std::string(n, '(') + "h" + std::string(n, ')')).op(), ExprOp::Var);
  EXPECT_EQ(parse_key(std::string(n, '~') + "h").op(), ExprOp::BitNot);
  std::string chain = "h";
  for (int i = 0; i < n; ++i) chain += " + 1";
  Values v;
  v.vars[3] = 5;
  EXPECT_EQ(evaluate(parse_key(chain), v), 5 + n);
}

TEST(KeyParser, RejectsKeysNestedDeeperThanTheLimit) {
  const int n = 300;
  EXPECT_THROW_MSG(parse_key(std::string(n, '(') + "h" + std::string(n, ')')), ScheduleError,
                   "nests deeper than 256 levels", "at column 258");
  EXPECT_THROW_MSG(parse_key(std::string(n, '!') + "h"), ScheduleError,
                   "nests deeper than 256 levels");
  std::string chain = "h";
  for (int i = 0; i < n; ++i) chain += "+1";
  // The 257th '+' (at column 2 * 257) would make the tree 257 levels deep.
  EXPECT_THROW_MSG(parse_key(chain), ScheduleError, "nests deeper than 256 levels",
                   "at column 514");
}

// ---- errors ------------------------------------------------------------------------------------

TEST(KeyParserErrors, EmptyKey) {
  EXPECT_THROW_MSG(parse_key(""), ScheduleError, "key '': ", "empty",
                   "expected an expression at column 1");
  EXPECT_THROW_MSG(parse_key("   "), ScheduleError, "key '   ': ", "empty", "at column 4");
}

TEST(KeyParserErrors, MissingOperand) {
  EXPECT_THROW_MSG(parse_key("h % "), ScheduleError,
                   "key 'h % ': expected an operand at column 5, found the end of the key");
  EXPECT_THROW_MSG(parse_key("h * * 2"), ScheduleError, "key 'h * * 2'",
                   "expected an operand at column 5, found '*'");
  EXPECT_THROW_MSG(parse_key("()"), ScheduleError, "expected an operand at column 2, found ')'");
  EXPECT_THROW_MSG(parse_key("min(a,)"), ScheduleError,
                   "expected an operand at column 7, found ')'");
  EXPECT_THROW_MSG(parse_key("!= a"), ScheduleError, "expected an operand at column 1, found '!='");
  EXPECT_THROW_MSG(parse_key("-"), ScheduleError,
                   "expected an operand at column 2, found the end of the key");
}

TEST(KeyParserErrors, UnexpectedCharacter) {
  EXPECT_THROW_MSG(parse_key("h $ 4"), ScheduleError, "key 'h $ 4'",
                   "unexpected character '$' at column 3");
  EXPECT_THROW_MSG(parse_key("h = 4"), ScheduleError, "unexpected character '=' at column 3",
                   "'=='");
  EXPECT_THROW_MSG(parse_key("h + \x01"), ScheduleError, "unexpected character (byte 0x01)",
                   "at column 5");
  EXPECT_THROW_MSG(parse_key("a[1]"), ScheduleError, "unexpected character '[' at column 2");
  // Reported left to right: the missing operand comes before the bad character.
  EXPECT_THROW_MSG(parse_key("h + ) $"), ScheduleError, "expected an operand at column 5");
}

TEST(KeyParserErrors, UnbalancedParentheses) {
  EXPECT_THROW_MSG(parse_key("(h + 1"), ScheduleError, "key '(h + 1'",
                   "expected ')' at column 7 to close the '(' at column 1",
                   "found the end of the key");
  EXPECT_THROW_MSG(parse_key("((h) + 1"), ScheduleError,
                   "expected ')' at column 9 to close the '(' at column 1");
  EXPECT_THROW_MSG(parse_key("min(h, 1"), ScheduleError,
                   "expected ')' at column 9 to close the '(' at column 4");
  EXPECT_THROW_MSG(parse_key("(h 1)"), ScheduleError,
                   "expected ')' at column 4 to close the '(' at column 1, found '1'");
  EXPECT_THROW_MSG(parse_key("h + 1)"), ScheduleError, "key 'h + 1)'",
                   "unbalanced ')' at column 6");
}

TEST(KeyParserErrors, TrailingInput) {
  EXPECT_THROW_MSG(parse_key("h 4"), ScheduleError, "key 'h 4'",
                   "expected an operator or the end of the key at column 3, found '4'");
  EXPECT_THROW_MSG(parse_key("a , b"), ScheduleError,
                   "expected an operator or the end of the key at column 3, found ','");
  EXPECT_THROW_MSG(parse_key("a ~ b"), ScheduleError,
                   "expected an operator or the end of the key at column 3, found '~'");
  EXPECT_THROW_MSG(parse_key("(a) (b)"), ScheduleError, "at column 5, found '('");
}

TEST(KeyParserErrors, UnknownFunction) {
  EXPECT_THROW_MSG(parse_key("foo(h)"), ScheduleError, "key 'foo(h)'",
                   "unknown function 'foo(' at column 1", "min, max, select and param");
  EXPECT_THROW_MSG(parse_key("h + bar (1)"), ScheduleError, "unknown function 'bar(' at column 5");
  EXPECT_THROW_MSG(parse_key("symbol(n)"), ScheduleError, "unknown function 'symbol('");
}

TEST(KeyParserErrors, FunctionNameWithoutCall) {
  EXPECT_THROW_MSG(parse_key("min"), ScheduleError,
                   "expected '(' after the function 'min' at column 4, found the end of the key");
  EXPECT_THROW_MSG(parse_key("select + 1"), ScheduleError,
                   "expected '(' after the function 'select' at column 8, found '+'");
}

TEST(KeyParserErrors, WrongArgumentCount) {
  EXPECT_THROW_MSG(parse_key("min(h)"), ScheduleError, "key 'min(h)'",
                   "wrong number of arguments to min() at column 1: expected 2, got 1");
  EXPECT_THROW_MSG(parse_key("h + max(1, 2, 3)"), ScheduleError,
                   "wrong number of arguments to max() at column 5: expected 2, got 3");
  EXPECT_THROW_MSG(parse_key("min()"), ScheduleError, "min() at column 1: expected 2, got 0");
  EXPECT_THROW_MSG(parse_key("select(a, b)"), ScheduleError,
                   "wrong number of arguments to select() at column 1: expected 3, got 2");
  EXPECT_THROW_MSG(parse_key("select(a, b, c, d)"), ScheduleError, "expected 3, got 4");
  EXPECT_THROW_MSG(parse_key("param()"), ScheduleError,
                   "wrong number of arguments to param() at column 1: expected 1, got 0");
  EXPECT_THROW_MSG(parse_key("2 * param(a, b)"), ScheduleError,
                   "wrong number of arguments to param() at column 5");
}

TEST(KeyParserErrors, ParamTakesAName) {
  EXPECT_THROW_MSG(parse_key("param(1)"), ScheduleError,
                   "expected a parameter name at column 7, found '1'");
  EXPECT_THROW_MSG(parse_key("param(a + 1)"), ScheduleError,
                   "expected ')' at column 9 to close the '(' at column 6, found '+'");
}

TEST(KeyParserErrors, LiteralOutOfRange) {
  EXPECT_THROW_MSG(parse_key("h + 99999999999999999999"), ScheduleError,
                   "integer literal '99999999999999999999' at column 5 is out of the int64 range");
  EXPECT_THROW_MSG(parse_key("9223372036854775808"), ScheduleError,
                   "'9223372036854775808' at column 1 is out of the int64 range");
  EXPECT_THROW_MSG(parse_key("-9223372036854775809"), ScheduleError,
                   "'9223372036854775809' at column 2 is out of the int64 range");
  EXPECT_THROW_MSG(parse_key("0x8000000000000000"), ScheduleError,
                   "'0x8000000000000000' at column 1 is out of the int64 range");
  EXPECT_THROW_MSG(parse_key("0x1ffffffffffffffff"), ScheduleError, "out of the int64 range");
  // Only a minus directly in front of the literal reaches INT64_MIN, as in the C++ source.
  EXPECT_THROW_MSG(parse_key("-(9223372036854775808)"), ScheduleError,
                   "at column 3 is out of the int64 range");
}

TEST(KeyParserErrors, MalformedLiteral) {
  EXPECT_THROW_MSG(parse_key("4h"), ScheduleError, "malformed integer literal '4h' at column 1");
  EXPECT_THROW_MSG(parse_key("h % 0x"), ScheduleError,
                   "malformed integer literal '0x' at column 5");
  EXPECT_THROW_MSG(parse_key("0x1g"), ScheduleError, "malformed integer literal '0x1g'");
  EXPECT_THROW_MSG(parse_key("h + 012"), ScheduleError, "integer literal '012' at column 5",
                   "leading zero", "octal");
}

TEST(KeyParserErrors, CompilingAnUnknownAxisIsTheScopesError) {
  // The parser accepts any name; whether it is an axis is decided when the key is compiled.
  const Expr e = parse_key("zz + 1");
  NameScope scope;
  EXPECT_THROW_MSG((void)ExprProgram::compile(e, scope), CompileError, "unknown variable 'zz'");
}

}  // namespace
}  // namespace pto::wsp
