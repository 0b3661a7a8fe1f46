// Parsing schedule keys written as text ("h % 4") into Expr trees: an on-demand lexer and a
// precedence-climbing parser over C's operator table.
#include "pto/wsp/schedule/key_parser.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "pto/wsp/core/error.hpp"

namespace pto::wsp {
namespace {

// Keys come from command lines and configuration files, and every consumer of an Expr (printing,
// compiling, destroying) recurses over the tree; bounding the parser's recursion and the tree's
// depth keeps a hostile key from overflowing the stack. Real keys nest a handful of levels.
constexpr int kMaxDepth = 256;

constexpr std::uint64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
// The magnitude of INT64_MIN: a literal may only reach it right after a unary minus.
constexpr std::uint64_t kInt64MinMagnitude = kInt64Max + 1;

// ASCII classes written out, because <cctype> depends on the locale and on char's signedness.
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_hex_digit(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool is_ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_ident_char(char c) {
  return is_ident_start(c) || is_digit(c);
}
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
int hex_value(char c) {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

enum class Tok : std::uint8_t { End, Int, Ident, Op, LParen, RParen, Comma };

struct Token {
  Tok kind = Tok::End;
  std::size_t pos = 0;          ///< byte offset of the first character
  std::string_view text;        ///< the spelling; empty at End
  std::uint64_t magnitude = 0;  ///< Int: the value, at most kInt64MinMagnitude
};

struct BinaryOp {
  std::string_view spelling;
  ExprOp op;
  int precedence;  ///< higher binds tighter; all of them associate to the left, as in C
};

constexpr int kLowestPrecedence = 1;
constexpr BinaryOp kBinaryOps[] = {
    {"||", ExprOp::Or, 1},    {"&&", ExprOp::And, 2},   {"|", ExprOp::BitOr, 3},
    {"^", ExprOp::BitXor, 4}, {"&", ExprOp::BitAnd, 5}, {"==", ExprOp::Eq, 6},
    {"!=", ExprOp::Ne, 6},    {"<", ExprOp::Lt, 7},     {"<=", ExprOp::Le, 7},
    {">", ExprOp::Gt, 7},     {">=", ExprOp::Ge, 7},    {"<<", ExprOp::Shl, 8},
    {">>", ExprOp::Shr, 8},   {"+", ExprOp::Add, 9},    {"-", ExprOp::Sub, 9},
    {"*", ExprOp::Mul, 10},   {"/", ExprOp::Div, 10},   {"%", ExprOp::Mod, 10},
};

// Longest match first, so that "<<" is never read as two "<".
constexpr std::string_view kTwoCharOps[] = {"<<", ">>", "<=", ">=", "==", "!=", "&&", "||"};
constexpr std::string_view kOneCharOps = "*/%+-<>&^|!~";

const BinaryOp* find_binary(const Token& t) {
  if (t.kind != Tok::Op) return nullptr;
  for (const BinaryOp& b : kBinaryOps) {
    if (b.spelling == t.text) return &b;
  }
  return nullptr;
}

// A parsed subexpression and the depth of its tree (a leaf is 0).
struct Parsed {
  Expr expr;
  int depth;
};

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) { advance(); }

  Expr parse() {
    if (tok_.kind == Tok::End) {
      fail(fmt::format("the key is empty: expected an expression at column {}", column(tok_)));
    }
    Parsed p = parse_binary(kLowestPrecedence, 0);
    if (tok_.kind == Tok::RParen) {
      fail(fmt::format("unbalanced ')' at column {}: no '(' is open", column(tok_)));
    }
    if (tok_.kind != Tok::End) {
      fail(fmt::format("expected an operator or the end of the key at column {}, found {}",
                       column(tok_), describe(tok_)));
    }
    return std::move(p.expr);
  }

 private:
  // ---- lexing ------------------------------------------------------------------------------

  // Reads the token after the current one. Lexing on demand, rather than all at once, reports
  // errors strictly left to right.
  void advance() {
    std::size_t i = tok_.pos + tok_.text.size();
    while (i < text_.size() && is_space(text_[i])) ++i;
    tok_ = Token{};
    tok_.pos = i;
    if (i == text_.size()) return;  // End
    const char c = text_[i];
    if (is_digit(c)) return lex_number(i);
    if (is_ident_start(c)) {
      std::size_t j = i + 1;
      while (j < text_.size() && is_ident_char(text_[j])) ++j;
      return set(Tok::Ident, i, j);
    }
    if (c == '(') return set(Tok::LParen, i, i + 1);
    if (c == ')') return set(Tok::RParen, i, i + 1);
    if (c == ',') return set(Tok::Comma, i, i + 1);
    const std::string_view rest = text_.substr(i);
    for (std::string_view op : kTwoCharOps) {
      if (rest.starts_with(op)) return set(Tok::Op, i, i + 2);
    }
    if (kOneCharOps.find(c) != std::string_view::npos) return set(Tok::Op, i, i + 1);
    if (c == '=') {
      fail(fmt::format("unexpected character '=' at column {} (equality is written '==')", i + 1));
    }
    const auto byte = static_cast<unsigned char>(c);
    if (byte > 0x20 && byte < 0x7f) {
      fail(fmt::format("unexpected character '{}' at column {}", c, i + 1));
    }
    fail(fmt::format("unexpected character (byte 0x{:02X}) at column {}", byte, i + 1));
  }

  void set(Tok kind, std::size_t begin, std::size_t end) {
    tok_.kind = kind;
    tok_.text = text_.substr(begin, end - begin);
  }

  // Decimal or 0x hexadecimal. The spelling runs over every identifier character, so "4h" and
  // "0x1g" are one malformed literal rather than a literal followed by a surprise.
  void lex_number(std::size_t begin) {
    std::size_t end = begin;
    while (end < text_.size() && is_ident_char(text_[end])) ++end;
    set(Tok::Int, begin, end);
    const std::string_view s = tok_.text;
    const bool hex = s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
    const std::string_view digits = hex ? s.substr(2) : s;
    const bool well_formed =
        !digits.empty() && std::all_of(digits.begin(), digits.end(),
                                       [&](char c) { return hex ? is_hex_digit(c) : is_digit(c); });
    if (!well_formed) {
      fail(fmt::format("malformed integer literal '{}' at column {}", s, begin + 1));
    }
    // C reads a leading zero as octal; rather than silently disagree with it, refuse.
    if (!hex && digits.size() > 1 && digits[0] == '0') {
      fail(
          fmt::format("integer literal '{}' at column {} has a leading zero (octal is not "
                      "supported; write it in decimal or 0x hexadecimal)",
                      s, begin + 1));
    }
    const std::uint64_t base = hex ? 16 : 10;
    std::uint64_t value = 0;
    for (char c : digits) {
      const auto d = static_cast<std::uint64_t>(hex ? hex_value(c) : c - '0');
      if (value > (kInt64MinMagnitude - d) / base) out_of_range(tok_);
      value = value * base + d;
    }
    tok_.magnitude = value;
  }

  [[noreturn]] void out_of_range(const Token& t) const {
    fail(fmt::format("integer literal '{}' at column {} is out of the int64 range", t.text,
                     column(t)));
  }

  // ---- parsing -----------------------------------------------------------------------------

  // Precedence climbing: operands bind to the operator of highest precedence on either side,
  // and a right operand only takes operators that bind strictly tighter (left associativity).
  Parsed parse_binary(int min_precedence, int nesting) {
    Parsed lhs = parse_unary(nesting);
    for (;;) {
      const BinaryOp* op = find_binary(tok_);
      if (op == nullptr || op->precedence < min_precedence) return lhs;
      const Token op_tok = tok_;
      advance();
      Parsed rhs = parse_binary(op->precedence + 1, nesting);
      lhs = node(op_tok, make_expr(op->op, {std::move(lhs.expr), std::move(rhs.expr)}),
                 std::max(lhs.depth, rhs.depth));
    }
  }

  Parsed parse_unary(int nesting) {
    if (nesting > kMaxDepth) too_deep(tok_);
    if (tok_.kind == Tok::Op && tok_.text.size() == 1) {
      const char c = tok_.text[0];
      if (c == '-' || c == '!' || c == '~') {
        const Token op_tok = tok_;
        advance();
        // "-5" is the constant -5, as it is in C++ (`h * -5` builds Const(-5)); this is also the
        // only way to write INT64_MIN.
        if (c == '-' && tok_.kind == Tok::Int) {
          const std::uint64_t m = tok_.magnitude;
          advance();
          return {Expr(static_cast<std::int64_t>(0u - m)), 0};
        }
        Parsed operand = parse_unary(nesting + 1);
        const ExprOp op = c == '-' ? ExprOp::Neg : c == '!' ? ExprOp::Not : ExprOp::BitNot;
        return node(op_tok, make_expr(op, {std::move(operand.expr)}), operand.depth);
      }
    }
    return parse_primary(nesting);
  }

  Parsed parse_primary(int nesting) {
    const Token t = tok_;
    switch (t.kind) {
      case Tok::Int:
        if (t.magnitude > kInt64Max) out_of_range(t);
        advance();
        return {Expr(static_cast<std::int64_t>(t.magnitude)), 0};
      case Tok::Ident: {
        advance();
        const bool is_function =
            t.text == "min" || t.text == "max" || t.text == "select" || t.text == "param";
        if (is_function) {
          if (tok_.kind != Tok::LParen) {
            fail(fmt::format("expected '(' after the function '{}' at column {}, found {}", t.text,
                             column(tok_), describe(tok_)));
          }
          return parse_call(t, nesting);
        }
        if (tok_.kind == Tok::LParen) {
          fail(
              fmt::format("unknown function '{}(' at column {} (the functions are min, max, "
                          "select and param)",
                          t.text, column(t)));
        }
        // A fresh declaration per occurrence: keys are matched to the workload's axes by name.
        return {Var(std::string(t.text)), 0};
      }
      case Tok::LParen: {
        advance();
        Parsed inner = parse_binary(kLowestPrecedence, nesting + 1);
        expect_close(t);
        return inner;
      }
      default:
        fail(fmt::format("expected an operand at column {}, found {}", column(t), describe(t)));
    }
  }

  // `name` is the function's identifier; the current token is its '('.
  Parsed parse_call(const Token& name, int nesting) {
    const Token open = tok_;
    advance();
    if (name.text == "param") {
      if (tok_.kind == Tok::RParen) wrong_arity(name, 1, 0);
      if (tok_.kind != Tok::Ident) {
        fail(fmt::format("expected a parameter name at column {}, found {}", column(tok_),
                         describe(tok_)));
      }
      const std::string param_name(tok_.text);
      advance();
      if (tok_.kind == Tok::Comma) {
        fail(
            fmt::format("wrong number of arguments to param() at column {}: expected 1 "
                        "parameter name, got more",
                        column(name)));
      }
      expect_close(open);
      return {Expr::param(param_name), 0};
    }

    std::vector<Parsed> args;
    if (tok_.kind != Tok::RParen) {
      for (;;) {
        args.push_back(parse_binary(kLowestPrecedence, nesting + 1));
        if (tok_.kind != Tok::Comma) break;
        advance();
      }
    }
    expect_close(open);
    const std::size_t want = name.text == "select" ? 3 : 2;
    if (args.size() != want) wrong_arity(name, want, args.size());
    int depth = 0;
    std::vector<Expr> operands;
    for (Parsed& a : args) {
      depth = std::max(depth, a.depth);
      operands.push_back(std::move(a.expr));
    }
    const ExprOp op = name.text == "min"   ? ExprOp::Min
                      : name.text == "max" ? ExprOp::Max
                                           : ExprOp::Select;
    return node(name, make_expr(op, std::move(operands)), depth);
  }

  // Consumes the ')' that closes `open`.
  void expect_close(const Token& open) {
    if (tok_.kind != Tok::RParen) {
      fail(fmt::format("expected ')' at column {} to close the '(' at column {}, found {}",
                       column(tok_), column(open), describe(tok_)));
    }
    advance();
  }

  // A new node over children whose deepest is `child_depth`; `at` is the token that made it.
  Parsed node(const Token& at, Expr e, int child_depth) const {
    if (child_depth + 1 > kMaxDepth) too_deep(at);
    return {std::move(e), child_depth + 1};
  }

  [[noreturn]] void wrong_arity(const Token& name, std::size_t want, std::size_t got) const {
    fail(fmt::format("wrong number of arguments to {}() at column {}: expected {}, got {}",
                     name.text, column(name), want, got));
  }

  [[noreturn]] void too_deep(const Token& at) const {
    fail(fmt::format("the key nests deeper than {} levels at column {}", kMaxDepth, column(at)));
  }

  [[noreturn]] void fail(const std::string& what) const {
    throw ScheduleError(fmt::format("key '{}': {}", text_, what));
  }

  // Columns count bytes from 1; the end of the key is one past its last byte.
  static std::size_t column(const Token& t) { return t.pos + 1; }

  static std::string describe(const Token& t) {
    if (t.kind == Tok::End) return "the end of the key";
    return fmt::format("'{}'", t.text);
  }

  std::string_view text_;
  Token tok_;
};

}  // namespace

Expr parse_key(std::string_view text) {
  return Parser(text).parse();
}

}  // namespace pto::wsp
