// Execution of tile ops on concrete tiles: the one implementation behind the eager ops and the
// interpreter. Float ops compute in f32 (narrow tiles are widened into scratch and rounded back to
// nearest even); integer ops wrap modulo 2^32.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "pto/wsp/core/tensor.hpp"
#include "pto/wsp/tile/program.hpp"

namespace pto::detail {

/// A concrete tile's storage as ops see it: row-major, row stride = type.cols.
struct TileRef {
  std::byte* data = nullptr;
  TileType type{};
  int valid_rows = 0;
  int valid_cols = 0;
};

/// Reusable f32 buffers for widening narrow operands; owned by the caller (an interpreter frame,
/// or a local of an eager op).
class Scratch {
 public:
  float* get(int slot, std::size_t elements) {
    auto& v = buffers_[static_cast<std::size_t>(slot)];
    if (v.size() < elements) v.resize(elements);
    return v.data();
  }

 private:
  std::array<std::vector<float>, 4> buffers_;
};

/// Element (r, c) of any tile as double (exact for every tile dtype).
double element(const TileRef& t, int r, int c);
/// Stores a double into element (r, c): floats round to the dtype (to nearest even); integers
/// convert with the cast rules (truncate toward zero, saturate, NaN -> 0).
void set_element(const TileRef& t, int r, int c, double value);

/// Runs `instr` (any op but Load/Store): reads the operands, writes the result's elements and
/// valid extent (and the indices for TopK/Sort). `scalar` is the resolved scalar operand.
void compute(const Instr& instr, const TileRef* a, const TileRef* b, const TileRef* c,
             TileRef& result, TileRef* result2, double scalar, Scratch& scratch);

/// Products of at least this many multiply-adds go to OpenBLAS (single-threaded sgemm); smaller
/// ones to Eigen. Measured: bench_tile BM_Matmul* (docs/PERFORMANCE.md, "Tile ops").
inline constexpr std::int64_t kBlasMinMacs = 8 * 8 * 8;

/// The matmul part of compute(): result (f32) = op(a)·op(b) [+ acc].
void compute_matmul(const Instr& instr, const TileRef& a, const TileRef& b, const TileRef* acc,
                    TileRef& result, Scratch& scratch);

/// Copies the tile at (row0, col0) of `view` (rank 1 or 2, the tile's dtype) into `tile` and sets
/// its valid extent. `what` names the parameter in errors (ExecutionError).
void load_tile(const wsp::Tensor& view, int row0, int col0, TileRef& tile, std::string_view what);
/// Writes the valid region of `tile`, clipped to `view`, at (row0, col0).
void store_tile(const TileRef& tile, const wsp::Tensor& view, int row0, int col0,
                std::string_view what);

}  // namespace pto::detail
