// Nanoseconds per evaluation of compiled expressions (ExprProgram) beside a naive recursive tree
// walk of the same Expr and the hand-written C++ of the same formula, for typical shapes.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "pto/wsp/core/error.hpp"
#include "pto/wsp/core/expr.hpp"
#include "pto/wsp/core/expr_program.hpp"

namespace {

using pto::wsp::EvalContext;
using pto::wsp::Expr;
using pto::wsp::ExprNode;
using pto::wsp::ExprOp;
using pto::wsp::ExprProgram;
using pto::wsp::IntArray;
using pto::wsp::VarDecl;

constexpr int kLenSize = 32;

// Variables b, h, t and one array `len`, with values that change every iteration.
struct Fixture : pto::wsp::ExprScope {
  pto::wsp::Var b{"b"}, h{"h"}, t{"t"};
  std::array<std::int64_t, 3> vars{};
  std::vector<std::int64_t> len;
  IntArray len_array;
  EvalContext ctx;

  Fixture() : len(kLenSize) {
    for (int i = 0; i < kLenSize; ++i) len[i] = 64 + 37 * i % 200;
    len_array = IntArray{len.data(), kLenSize};
    ctx.vars = vars.data();
    ctx.arrays = &len_array;
  }
  // b in [0, 32), h in [0, 16), t in [0, 8): a new point of the iteration space each time.
  void set(std::uint64_t i) {
    vars[0] = static_cast<std::int64_t>(i & 31);
    vars[1] = static_cast<std::int64_t>((i >> 3) & 15);
    vars[2] = static_cast<std::int64_t>((i >> 1) & 7);
  }

  int var_index(const VarDecl& v) override {
    if (&v == b.decl().get()) return 0;
    if (&v == h.decl().get()) return 1;
    if (&v == t.decl().get()) return 2;
    throw pto::wsp::CompileError("bench scope: unknown variable " + v.name);
  }
  int symbol_index(std::string_view) override { throw pto::wsp::CompileError("no symbols"); }
  int param_index(std::string_view) override { throw pto::wsp::CompileError("no params"); }
  int slot_index(std::string_view) override { throw pto::wsp::CompileError("no slots"); }
  int array_index(std::string_view name) override {
    if (name == "len") return 0;
    throw pto::wsp::CompileError("bench scope: unknown array");
  }
};

// The naive peer: walk the tree, find variables by pointer and arrays by name at every leaf.
struct WalkEnv {
  std::array<const VarDecl*, 3> decls;
  const std::int64_t* vars;
  std::string_view array_name;
  IntArray array;
};

std::int64_t walk(const Expr& e, const WalkEnv& env) {
  const ExprNode& n = e.node();
  auto arg = [&](std::size_t i) { return walk(n.operands[i], env); };
  auto wrap = [](std::uint64_t v) { return static_cast<std::int64_t>(v); };
  switch (n.op) {
    case ExprOp::Const:
      return n.value;
    case ExprOp::Var:
      for (std::size_t i = 0; i < env.decls.size(); ++i) {
        if (env.decls[i] == n.var.get()) return env.vars[i];
      }
      throw std::runtime_error("unbound variable");
    case ExprOp::ArrayLoad: {
      const std::int64_t i = arg(0);
      if (n.name != env.array_name) throw std::runtime_error("unbound array");
      if (i < 0 || i >= env.array.size) throw std::runtime_error("index out of range");
      return env.array.data[i];
    }
    case ExprOp::Neg:
      return wrap(0u - static_cast<std::uint64_t>(arg(0)));
    case ExprOp::Not:
      return arg(0) == 0;
    case ExprOp::BitNot:
      return ~arg(0);
    case ExprOp::And:
      return arg(0) != 0 && arg(1) != 0;
    case ExprOp::Or:
      return arg(0) != 0 || arg(1) != 0;
    case ExprOp::Select:
      return arg(0) != 0 ? arg(1) : arg(2);
    default:
      break;
  }
  const std::int64_t a = arg(0);
  const std::int64_t b = arg(1);
  switch (n.op) {
    case ExprOp::Add:
      return wrap(static_cast<std::uint64_t>(a) + static_cast<std::uint64_t>(b));
    case ExprOp::Sub:
      return wrap(static_cast<std::uint64_t>(a) - static_cast<std::uint64_t>(b));
    case ExprOp::Mul:
      return wrap(static_cast<std::uint64_t>(a) * static_cast<std::uint64_t>(b));
    case ExprOp::Div:
      if (b == 0) throw std::runtime_error("division by zero");
      return b == -1 ? wrap(0u - static_cast<std::uint64_t>(a)) : a / b;
    case ExprOp::Mod:
      if (b == 0) throw std::runtime_error("modulo by zero");
      return b == -1 ? 0 : a % b;
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
    case ExprOp::BitAnd:
      return a & b;
    case ExprOp::BitOr:
      return a | b;
    case ExprOp::BitXor:
      return a ^ b;
    case ExprOp::Shl:
      if (b < 0 || b > 63) throw std::runtime_error("shift count");
      return wrap(static_cast<std::uint64_t>(a) << b);
    case ExprOp::Shr:
      if (b < 0 || b > 63) throw std::runtime_error("shift count");
      return a >> b;
    case ExprOp::Min:
      return a < b ? a : b;
    case ExprOp::Max:
      return a < b ? b : a;
    default:
      throw std::runtime_error("walk: unsupported op");
  }
}

int count_nodes(const Expr& e) {
  int n = 1;
  for (const Expr& c : e.node().operands) n += count_nodes(c);
  return n;
}

// ---- the shapes -----------------------------------------------------------------------------

Expr shape_var(Fixture& f) {
  return f.b;
}
Expr shape_affine(Fixture& f) {
  return f.b * 64 + f.t;
}
Expr shape_ragged_bound(Fixture& f) {
  return min((f.t + 1) * 64, pto::wsp::array("len")[f.b]);
}
Expr shape_predicate(Fixture& f) {
  return (f.b % 4 == 0) && (f.h < 8);
}
Expr shape_dispatch_key(Fixture& f) {
  return (f.b * 8 + f.h) % 5;
}
// 20 nodes: a guarded ragged bound, else a negated head index.
Expr shape_node20(Fixture& f) {
  return select((f.b % 4 == 0) && (f.h < 8), min((f.t + 1) * 64, pto::wsp::array("len")[f.b]),
                -f.h);
}

// The same formulas in plain C++ (the floor any evaluator is measured against).
std::int64_t native_var(const Fixture& f) {
  return f.vars[0];
}
std::int64_t native_affine(const Fixture& f) {
  return f.vars[0] * 64 + f.vars[2];
}
std::int64_t native_ragged_bound(const Fixture& f) {
  const std::int64_t bound = (f.vars[2] + 1) * 64;
  const std::int64_t len = f.len[static_cast<std::size_t>(f.vars[0])];
  return bound < len ? bound : len;
}
std::int64_t native_predicate(const Fixture& f) {
  return f.vars[0] % 4 == 0 && f.vars[1] < 8;
}
std::int64_t native_dispatch_key(const Fixture& f) {
  return (f.vars[0] * 8 + f.vars[1]) % 5;
}
std::int64_t native_node20(const Fixture& f) {
  return native_predicate(f) ? native_ragged_bound(f) : -f.vars[1];
}

template <Expr (*Build)(Fixture&)>
void run_program(benchmark::State& state) {
  Fixture f;
  const Expr e = Build(f);
  const ExprProgram prog = ExprProgram::compile(e, f);
  std::uint64_t i = 0;
  for (auto _ : state) {
    f.set(i++);
    benchmark::DoNotOptimize(f.vars.data());
    std::int64_t v = prog.evaluate(f.ctx);
    benchmark::DoNotOptimize(v);
  }
  state.counters["nodes"] = count_nodes(e);
  state.counters["instrs"] = static_cast<double>(prog.code().size());
  state.SetItemsProcessed(state.iterations());
}

template <Expr (*Build)(Fixture&)>
void run_walk(benchmark::State& state) {
  Fixture f;
  const Expr e = Build(f);
  const WalkEnv env{
      {f.b.decl().get(), f.h.decl().get(), f.t.decl().get()}, f.vars.data(), "len", f.len_array};
  std::uint64_t i = 0;
  for (auto _ : state) {
    f.set(i++);
    benchmark::DoNotOptimize(f.vars.data());
    std::int64_t v = walk(e, env);
    benchmark::DoNotOptimize(v);
  }
  state.counters["nodes"] = count_nodes(e);
  state.SetItemsProcessed(state.iterations());
}

template <std::int64_t (*Native)(const Fixture&)>
void run_native(benchmark::State& state) {
  Fixture f;
  std::uint64_t i = 0;
  for (auto _ : state) {
    f.set(i++);
    benchmark::DoNotOptimize(f.vars.data());
    std::int64_t v = Native(f);
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(state.iterations());
}

#define PTO_WSP_EXPR_BENCH(Shape, shape)             \
  void BM_ExprProgram_##Shape(benchmark::State& s) { \
    run_program<shape_##shape>(s);                   \
  }                                                  \
  void BM_TreeWalk_##Shape(benchmark::State& s) {    \
    run_walk<shape_##shape>(s);                      \
  }                                                  \
  void BM_Native_##Shape(benchmark::State& s) {      \
    run_native<native_##shape>(s);                   \
  }                                                  \
  BENCHMARK(BM_ExprProgram_##Shape);                 \
  BENCHMARK(BM_TreeWalk_##Shape);                    \
  BENCHMARK(BM_Native_##Shape)

PTO_WSP_EXPR_BENCH(Var, var);
PTO_WSP_EXPR_BENCH(Affine, affine);
PTO_WSP_EXPR_BENCH(RaggedBound, ragged_bound);
PTO_WSP_EXPR_BENCH(Predicate, predicate);
PTO_WSP_EXPR_BENCH(DispatchKey, dispatch_key);
PTO_WSP_EXPR_BENCH(Node20, node20);

}  // namespace

BENCHMARK_MAIN();
