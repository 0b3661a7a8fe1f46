// Cycle formulas of tile ops on the NPU model. Vector ops are counted as the vector instructions
// they decompose into on an Ascend-style vector unit (each processes vector_bytes_per_cycle per
// repeat; divide, exp, log, sqrt, sin and cos are "transcendental" and take
// transcendental_cycles per repeat); matmul in 16×16×16 cube fractals; loads and stores by bytes.
// docs/tile.md lists every formula with a hand-computed example.
#include "pto/wsp/tile/cost.hpp"

#include <cmath>

#include "pto/wsp/core/error.hpp"

namespace pto {
namespace {

/// The vector instructions an op decomposes into: simple ones and transcendental ones.
struct Decomposition {
  int simple = 0;
  int transcendental = 0;
};

Decomposition decompose(OpCode op) {
  switch (op) {
    case OpCode::Div:
    case OpCode::Exp:
    case OpCode::Log:
    case OpCode::Sqrt:
    case OpCode::Sin:
    case OpCode::Cos:
      return {0, 1};
    case OpCode::Rsqrt:
      return {0, 2};  // sqrt, reciprocal
    case OpCode::Sigmoid:
      return {2, 2};  // neg, exp, add, div
    case OpCode::Silu:
      return {3, 2};  // sigmoid, mul
    case OpCode::Tanh:
      return {3, 2};  // 2x, exp, add, sub, div
    case OpCode::Gelu:
      return {9, 2};  // x^3, fma, scale, tanh, add, two muls
    default:
      return {1, 0};  // add, sub, mul, max, min, neg, abs, relu, cast, ...
  }
}

/// Bytes per element the vector unit processes for this dtype (narrow floats pack twice as many
/// elements into a repeat as f32).
double lane_bytes(DType d) {
  return static_cast<double>(wsp::size_of(d));
}

double repeats(std::int64_t elements, DType dtype, const TileCostModel& m) {
  return std::ceil(static_cast<double>(elements) * lane_bytes(dtype) / m.vector_bytes_per_cycle);
}

double vector_cycles(Decomposition d, double reps, const TileCostModel& m) {
  return (d.simple + d.transcendental) * m.vector_startup_cycles +
         reps * (d.simple + d.transcendental * m.transcendental_cycles);
}

// Bytes an instruction moves between global memory and the core: its tile, for a load or store.
double gm_bytes(const TileProgram& p, const Instr& in) {
  if (in.op != OpCode::Load && in.op != OpCode::Store) return 0.0;
  const int v = in.op == OpCode::Load ? in.result : in.a;
  return static_cast<double>(p.values()[static_cast<std::size_t>(v)].bytes());
}

double ceil_div(int a, int b) {
  return std::ceil(static_cast<double>(a) / b);
}

}  // namespace

double instr_cycles(const TileProgram& p, const Instr& in, const TileCostModel& m) {
  const auto type = [&](int v) { return p.values()[static_cast<std::size_t>(v)]; };
  switch (in.op) {
    case OpCode::Load:
    case OpCode::Store:
      return m.gm_latency_cycles + gm_bytes(p, in) / m.gm_bytes_per_cycle;
    case OpCode::MatMul: {
      const TileType a = type(in.a), r = type(in.result);
      const int k = in.flag_a ? a.rows : a.cols;
      const double fractals =
          ceil_div(r.rows, m.cube_m) * ceil_div(r.cols, m.cube_n) * ceil_div(k, m.cube_k);
      return m.cube_startup_cycles + fractals * (a.dtype == DType::f32 ? m.cube_f32_factor : 1.0);
    }
    case OpCode::RowSum:
    case OpCode::RowMax:
    case OpCode::RowMin:
    case OpCode::RowMean: {
      const TileType a = type(in.a);
      double c = vector_cycles({1, 0}, repeats(a.elements(), a.dtype, m), m) +
                 a.rows * m.reduce_cycles_per_row;
      if (in.op == OpCode::RowMean) c += vector_cycles({1, 0}, repeats(a.rows, a.dtype, m), m);
      return c;
    }
    case OpCode::ColSum:
    case OpCode::ColMax: {
      const TileType a = type(in.a);
      return vector_cycles({1, 0}, repeats(a.elements(), a.dtype, m), m) +
             a.cols * m.reduce_cycles_per_row;
    }
    case OpCode::TopK:
    case OpCode::Sort: {
      const TileType a = type(in.a);
      const double passes = std::max(1.0, std::ceil(std::log2(static_cast<double>(a.cols))));
      return m.vector_startup_cycles +
             repeats(a.elements(), a.dtype, m) * passes * m.sort_cycles_per_pass;
    }
    default: {
      // Elementwise: the result's elements, in the dtype the op computes in (its operand's).
      const TileType r = type(in.result);
      const DType computed = in.a >= 0 ? type(in.a).dtype : r.dtype;
      return vector_cycles(decompose(in.op), repeats(r.elements(), computed, m), m);
    }
  }
}

ProgramCost analyze_cost(const TileProgram& p, const TileCostModel& m) {
  ProgramCost cost;
  cost.core = p.uses_matmul() ? wsp::CoreKind::Cube : wsp::CoreKind::Vector;
  cost.per_instr.reserve(p.body().size());
  for (const Instr& in : p.body()) {
    const double c = instr_cycles(p, in, m);
    cost.gm_bytes += gm_bytes(p, in);
    cost.per_instr.push_back(c);
    cost.cycles += c;
  }
  return cost;
}

}  // namespace pto
