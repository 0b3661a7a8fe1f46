// Tile programs: a typed SSA IR of tile ops, built at run time (by the C++ tracer of a tile
// kernel, or by the Python frontend tracing `pto.*`), validated with the same shape and dtype
// rules as the eager ops, executed by the interpreter and costed on the NPU model.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pto/wsp/kernel/kernel.hpp"
#include "pto/wsp/tile/tile.hpp"

namespace pto {

enum class OpCode : std::uint8_t {
  // memory and constants
  Load,
  Store,
  Full,
  Iota,
  Cast,
  // binary (tile ⊕ tile, tile ⊕ per-row/per-column tile, tile ⊕ scalar)
  Add,
  Sub,
  Mul,
  Div,
  Max,
  Min,
  // unary
  Exp,
  Log,
  Sqrt,
  Rsqrt,
  Tanh,
  Sigmoid,
  Relu,
  Gelu,
  Silu,
  Neg,
  Abs,
  Sin,
  Cos,
  // reductions
  RowSum,
  RowMax,
  RowMin,
  RowMean,
  ColSum,
  ColMax,
  // shape and matrix
  Broadcast,
  MatMul,
  TopK,
  Sort,
};
inline constexpr int kNumOpCodes = static_cast<int>(OpCode::Sort) + 1;

/// "add", "rowmax", ...
std::string_view name_of(OpCode op) noexcept;
bool is_binary(OpCode op) noexcept;
bool is_unary(OpCode op) noexcept;
bool is_reduction(OpCode op) noexcept;

/// How the second operand of a binary op lines up with the first (an R×C tile).
enum class BinaryForm : std::uint8_t {
  Full,       ///< both R×C
  PerRow,     ///< second operand R×1: one value per row (rowmul, rowadd, ...)
  PerCol,     ///< second operand 1×C: one value per column (colmul, coladd, ...)
  Scalar,     ///< tile ⊕ scalar
  ScalarLhs,  ///< scalar ⊕ tile (e.g. 1 / x)
};

/// One instruction. Operands and results are value ids of the program.
struct Instr {
  OpCode op = OpCode::Full;
  int a = -1;  ///< first tile operand
  int b = -1;  ///< second tile operand (binary, matmul)
  int c = -1;  ///< matmul accumulator, or -1
  int result = -1;
  int result2 = -1;  ///< topk/sort: the indices
  BinaryForm form = BinaryForm::Full;
  TileScalar scalar = 0.0;   ///< the scalar operand (binary scalar forms, full, iota start)
  int param = -1;            ///< load/store: kernel parameter index
  int row0 = 0, col0 = 0;    ///< load/store: offset of the tile inside the bound view
  int rows = 0, cols = 0;    ///< load/full/iota/broadcast: the result's shape
  int k = 0;                 ///< topk: how many per row
  bool flag_a = false;       ///< matmul: A transposed; sort/topk: descending (largest first)
  bool flag_b = false;       ///< matmul: B transposed
  DType dtype = DType::f32;  ///< cast target; full/iota element type
};

/// A validated tile program: the kernel parameters it reads and writes, its values' types, and
/// a straight-line body. Immutable once built; shared by kernels, interpreters and cost analyses.
class TileProgram {
 public:
  const std::string& name() const noexcept { return name_; }
  const std::vector<wsp::ParamSpec>& params() const noexcept { return params_; }
  const std::vector<TileType>& values() const noexcept { return values_; }
  const std::vector<Instr>& body() const noexcept { return body_; }
  bool uses_matmul() const noexcept;
  /// A readable listing: "%3 = rowmax %2 : f32[16x1]".
  std::string to_string() const;

 private:
  friend class ProgramBuilder;
  std::string name_;
  std::vector<wsp::ParamSpec> params_;
  std::vector<TileType> values_;
  std::vector<Instr> body_;
};

/// Builds a TileProgram. Values come back as traced tiles, so the `pto::` op functions build the
/// program; every op is type-checked as it is added (TypeCheckError naming the op and operand
/// types), loads and stores are checked against the kernel parameters they name.
class ProgramBuilder {
 public:
  ProgramBuilder(std::string name, std::vector<wsp::ParamSpec> params);
  ProgramBuilder(const ProgramBuilder&) = delete;
  ProgramBuilder& operator=(const ProgramBuilder&) = delete;

  /// A rows×cols tile of parameter `param` (an In/InOut tensor with a pinned tile dtype) starting
  /// at (row0, col0) of the view the task binds; rows/cols past the view's end are not valid.
  DynTile load(std::string_view param, int rows, int cols, int row0 = 0, int col0 = 0);
  /// Writes the valid region of `tile` into parameter `param` (Out/InOut) at (row0, col0).
  void store(std::string_view param, const DynTile& tile, int row0 = 0, int col0 = 0);
  /// A scalar parameter of the kernel, read when the program runs.
  TileScalar scalar(std::string_view param) const;

  /// Appends an instruction whose operand types the caller has already checked; returns the
  /// result tile(s). Used by the op functions.
  DynTile emit(Instr instr, TileType result_type);
  std::pair<DynTile, DynTile> emit2(Instr instr, TileType result_type, TileType result2_type);
  /// The value `tile` names in this program; throws TypeCheckError when it belongs elsewhere.
  int operand(const DynTile& tile, std::string_view op) const;

  /// The program built so far (the builder stays usable).
  std::shared_ptr<const TileProgram> build() const;
  const std::vector<wsp::ParamSpec>& params() const noexcept { return program_.params_; }

 private:
  int param_index(std::string_view param, std::string_view op) const;
  TileProgram program_;
};

}  // namespace pto
