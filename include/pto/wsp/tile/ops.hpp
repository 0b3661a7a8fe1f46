// The ops of the tile language. Each op checks its operands' shapes and dtypes (TypeCheckError
// naming the op and the operand types), then either computes (concrete tiles) or appends an
// instruction to the operands' program (traced tiles). Static `Tile<R,C,D>` overloads make shape
// mismatches compile errors. Semantics, dtype rules and tolerances: docs/tile.md.
#pragma once

#include <utility>

#include "pto/wsp/tile/program.hpp"
#include "pto/wsp/tile/tile.hpp"

namespace pto {

// --- constants ---------------------------------------------------------------------------------
/// A concrete tile with every element `value` (rounded to the dtype).
DynTile full(TileType type, double value);
/// A concrete tile whose element (r, c) is start + c (a column index), for index arithmetic.
DynTile iota(TileType type, double start = 0.0);
/// Converts elements to `dtype`: floats round to nearest even; float → int truncates toward zero
/// and saturates (NaN → 0); int → int wraps modulo 2^32.
DynTile cast(const DynTile& a, DType dtype);

// --- binary ops: tile ⊕ tile (R×C, or R×1 / 1×C broadcast per row / column), tile ⊕ scalar ----
#define PTO_TILE_DECLARE_BINARY(NAME)                                  \
  DynTile NAME(const DynTile& a, const DynTile& b);                    \
  DynTile NAME(const DynTile& a, TileScalar b);                        \
  DynTile NAME(TileScalar a, const DynTile& b);                        \
  template <int R, int C, DType D>                                     \
  Tile<R, C, D> NAME(const Tile<R, C, D>& a, const Tile<R, C, D>& b) { \
    return Tile<R, C, D>(NAME(a.dyn(), b.dyn()));                      \
  }                                                                    \
  template <int R, int C, DType D>                                     \
  Tile<R, C, D> NAME(const Tile<R, C, D>& a, TileScalar b) {           \
    return Tile<R, C, D>(NAME(a.dyn(), b));                            \
  }                                                                    \
  template <int R, int C, DType D>                                     \
  Tile<R, C, D> NAME(TileScalar a, const Tile<R, C, D>& b) {           \
    return Tile<R, C, D>(NAME(a, b.dyn()));                            \
  }
PTO_TILE_DECLARE_BINARY(add)
PTO_TILE_DECLARE_BINARY(sub)
PTO_TILE_DECLARE_BINARY(mul)
PTO_TILE_DECLARE_BINARY(div)
PTO_TILE_DECLARE_BINARY(max)
PTO_TILE_DECLARE_BINARY(min)
#undef PTO_TILE_DECLARE_BINARY

/// Per-row forms: `b` must be R×1. Per-column forms: `b` must be 1×C.
#define PTO_TILE_DECLARE_BROADCAST_BINARY(NAME, ROWS, COLS)                  \
  DynTile NAME(const DynTile& a, const DynTile& b);                          \
  template <int R, int C, DType D>                                           \
  Tile<R, C, D> NAME(const Tile<R, C, D>& a, const Tile<ROWS, COLS, D>& b) { \
    return Tile<R, C, D>(NAME(a.dyn(), b.dyn()));                            \
  }
PTO_TILE_DECLARE_BROADCAST_BINARY(rowadd, R, 1)
PTO_TILE_DECLARE_BROADCAST_BINARY(rowsub, R, 1)
PTO_TILE_DECLARE_BROADCAST_BINARY(rowmul, R, 1)
PTO_TILE_DECLARE_BROADCAST_BINARY(rowdiv, R, 1)
PTO_TILE_DECLARE_BROADCAST_BINARY(coladd, 1, C)
PTO_TILE_DECLARE_BROADCAST_BINARY(colmul, 1, C)
#undef PTO_TILE_DECLARE_BROADCAST_BINARY

inline DynTile operator+(const DynTile& a, const DynTile& b) {
  return add(a, b);
}
inline DynTile operator-(const DynTile& a, const DynTile& b) {
  return sub(a, b);
}
inline DynTile operator*(const DynTile& a, const DynTile& b) {
  return mul(a, b);
}
inline DynTile operator/(const DynTile& a, const DynTile& b) {
  return div(a, b);
}

// --- unary ops (float dtypes; neg and abs also on i32) -----------------------------------------
#define PTO_TILE_DECLARE_UNARY(NAME)           \
  DynTile NAME(const DynTile& a);              \
  template <int R, int C, DType D>             \
  Tile<R, C, D> NAME(const Tile<R, C, D>& a) { \
    return Tile<R, C, D>(NAME(a.dyn()));       \
  }
PTO_TILE_DECLARE_UNARY(exp)
PTO_TILE_DECLARE_UNARY(log)
PTO_TILE_DECLARE_UNARY(sqrt)
PTO_TILE_DECLARE_UNARY(rsqrt)
PTO_TILE_DECLARE_UNARY(tanh)
PTO_TILE_DECLARE_UNARY(sigmoid)
PTO_TILE_DECLARE_UNARY(relu)
PTO_TILE_DECLARE_UNARY(gelu)
PTO_TILE_DECLARE_UNARY(silu)
PTO_TILE_DECLARE_UNARY(neg)
PTO_TILE_DECLARE_UNARY(abs)
PTO_TILE_DECLARE_UNARY(sin)
PTO_TILE_DECLARE_UNARY(cos)
#undef PTO_TILE_DECLARE_UNARY

// --- reductions over the valid region: row forms give R×1, column forms 1×C --------------------
#define PTO_TILE_DECLARE_REDUCTION(NAME, ROWS, COLS) \
  DynTile NAME(const DynTile& a);                    \
  template <int R, int C, DType D>                   \
  Tile<ROWS, COLS, D> NAME(const Tile<R, C, D>& a) { \
    return Tile<ROWS, COLS, D>(NAME(a.dyn()));       \
  }
PTO_TILE_DECLARE_REDUCTION(rowsum, R, 1)
PTO_TILE_DECLARE_REDUCTION(rowmax, R, 1)
PTO_TILE_DECLARE_REDUCTION(rowmin, R, 1)
PTO_TILE_DECLARE_REDUCTION(rowmean, R, 1)
PTO_TILE_DECLARE_REDUCTION(colsum, 1, C)
PTO_TILE_DECLARE_REDUCTION(colmax, 1, C)
#undef PTO_TILE_DECLARE_REDUCTION

// --- broadcast: an R×1 or 1×C tile (or 1×1) to rows×cols ---------------------------------------
DynTile broadcast(const DynTile& a, int rows, int cols);
template <int R2, int C2, int R, int C, DType D>
requires((R == R2 || R == 1) &&
         (C == C2 || C == 1)) Tile<R2, C2, D> broadcast(const Tile<R, C, D>& a) {
  return Tile<R2, C2, D>(broadcast(a.dyn(), R2, C2));
}

// --- matmul on the cube: f32 result (the cube accumulates in f32) ------------------------------
struct MatmulOptions {
  bool transpose_a = false;  ///< a is stored K×M
  bool transpose_b = false;  ///< b is stored N×K
};
/// a (M×K) · b (K×N) [+ acc (M×N f32)], operands f32, f16 or bf16 of one dtype.
DynTile matmul(const DynTile& a, const DynTile& b, MatmulOptions options = {});
DynTile matmul(const DynTile& a, const DynTile& b, const DynTile& acc, MatmulOptions options = {});
template <int M, int K, int N, DType D>
Tile<M, N, DType::f32> matmul(const Tile<M, K, D>& a, const Tile<K, N, D>& b) {
  return Tile<M, N, DType::f32>(matmul(a.dyn(), b.dyn()));
}
template <int M, int K, int N, DType D>
Tile<M, N, DType::f32> matmul(const Tile<M, K, D>& a, const Tile<K, N, D>& b,
                              const Tile<M, N, DType::f32>& acc) {
  return Tile<M, N, DType::f32>(matmul(a.dyn(), b.dyn(), acc.dyn()));
}
/// a (M×K) · bᵀ where b is N×K (e.g. Q·Kᵀ).
template <int M, int K, int N, DType D>
Tile<M, N, DType::f32> matmul_nt(const Tile<M, K, D>& a, const Tile<N, K, D>& b) {
  return Tile<M, N, DType::f32>(matmul(a.dyn(), b.dyn(), MatmulOptions{false, true}));
}

// --- cast --------------------------------------------------------------------------------------
template <DType To, int R, int C, DType D>
Tile<R, C, To> cast(const Tile<R, C, D>& a) {
  return Tile<R, C, To>(cast(a.dyn(), To));
}

// --- top-k and sort, per row: (values, i32 column indices); ties go to the lower index, NaN
// counts as larger than +inf ------------------------------------------------------------------
std::pair<DynTile, DynTile> topk(const DynTile& a, int k, bool largest = true);
std::pair<DynTile, DynTile> sort(const DynTile& a, bool descending = true);
template <int K, int R, int C, DType D>
requires(K >= 1 &&
         K <= C) std::pair<Tile<R, K, D>, Tile<R, K, DType::i32>> topk(const Tile<R, C, D>& a,
                                                                       bool largest = true) {
  auto [v, i] = topk(a.dyn(), K, largest);
  return {Tile<R, K, D>(std::move(v)), Tile<R, K, DType::i32>(std::move(i))};
}

}  // namespace pto
