#include "kernels/type_rules.hpp"

#include <fmt/format.h>

#include "pto/wsp/core/error.hpp"

namespace pto::detail {
namespace {

using wsp::TypeCheckError;

bool is_float_tile(DType d) noexcept {
  return d == DType::f32 || d == DType::f16 || d == DType::bf16;
}

[[noreturn]] void fail(OpCode op, const std::string& what) {
  throw TypeCheckError(fmt::format("{}: {}", name_of(op), what));
}

void need_float(OpCode op, const TileType& t) {
  if (!is_float_tile(t.dtype))
    fail(op, fmt::format("operand {} must have a float dtype (f32, f16 or bf16)", t.to_string()));
}

void need_numeric(OpCode op, const TileType& t, bool allow_u32 = true) {
  if (is_float_tile(t.dtype) || t.dtype == DType::i32 || (allow_u32 && t.dtype == DType::u32))
    return;
  fail(op, fmt::format("operand {} has no arithmetic in the tile language", t.to_string()));
}

void need_shape(OpCode op, int rows, int cols) {
  if (rows < 1 || cols < 1)
    fail(op,
         fmt::format("shape {}x{} is empty; tiles have at least one row and column", rows, cols));
}

void need_tile_dtype(OpCode op, DType d) {
  if (!is_tile_dtype(d))
    fail(op,
         fmt::format("dtype {} is not a tile dtype (f32, f16, bf16, i32, u32)", wsp::name_of(d)));
}

const TileType& need(OpCode op, const TileType* t, const char* which) {
  if (t == nullptr) fail(op, fmt::format("missing operand {}", which));
  return *t;
}

}  // namespace

void check_load(const wsp::ParamSpec& spec, int row0, int col0, std::string_view what,
                std::string_view name) {
  const auto where = [&] { return fmt::format("{} {}", what, name); };
  if (!wsp::reads(spec.kind))
    throw TypeCheckError(fmt::format("load in {}: parameter '{}' is {}, loads need In or InOut",
                                     where(), spec.name, wsp::name_of(spec.kind)));
  if (!spec.dtype || !is_tile_dtype(*spec.dtype))
    throw TypeCheckError(
        fmt::format("load in {}: parameter '{}' must pin a tile dtype (f32, f16, bf16, i32, u32)",
                    where(), spec.name));
  if (row0 < 0 || col0 < 0)
    throw TypeCheckError(
        fmt::format("load {} in {}: offset ({}, {}) is negative", spec.name, where(), row0, col0));
}

void check_store(const wsp::ParamSpec& spec, const TileType& tile, int row0, int col0,
                 std::string_view what, std::string_view name) {
  const auto where = [&] { return fmt::format("{} {}", what, name); };
  if (!wsp::writes(spec.kind))
    throw TypeCheckError(fmt::format("store in {}: parameter '{}' is {}, stores need Out or InOut",
                                     where(), spec.name, wsp::name_of(spec.kind)));
  if (!spec.dtype || *spec.dtype != tile.dtype)
    throw TypeCheckError(fmt::format("store in {}: tile {} does not match parameter '{}' ({})",
                                     where(), tile.to_string(), spec.name, spec.to_string()));
  if (row0 < 0 || col0 < 0)
    throw TypeCheckError(
        fmt::format("store {} in {}: offset ({}, {}) is negative", spec.name, where(), row0, col0));
}

BinaryForm binary_form(OpCode op, const TileType& a, const TileType& b) {
  if (a.rows == b.rows && a.cols == b.cols) return BinaryForm::Full;
  if (b.rows == a.rows && b.cols == 1) return BinaryForm::PerRow;
  if (b.rows == 1 && b.cols == a.cols) return BinaryForm::PerCol;
  fail(op, fmt::format("operand shapes {} and {} do not line up; expected equal shapes, a "
                       "{}x1 per-row operand or a 1x{} per-column operand",
                       a.to_string(), b.to_string(), a.rows, a.cols));
}

std::pair<TileType, TileType> infer_types(const Instr& in, const TileType* a, const TileType* b,
                                          const TileType* c) {
  const OpCode op = in.op;
  switch (op) {
    case OpCode::Load:
      need_shape(op, in.rows, in.cols);
      need_tile_dtype(op, in.dtype);
      return {TileType{in.rows, in.cols, in.dtype}, {}};
    case OpCode::Store:
      need(op, a, "tile");
      return {};
    case OpCode::Full:
    case OpCode::Iota:
      need_shape(op, in.rows, in.cols);
      need_tile_dtype(op, in.dtype);
      return {TileType{in.rows, in.cols, in.dtype}, {}};
    case OpCode::Cast:
      need(op, a, "a");
      need_tile_dtype(op, in.dtype);
      return {TileType{a->rows, a->cols, in.dtype}, {}};
    case OpCode::Add:
    case OpCode::Sub:
    case OpCode::Mul:
    case OpCode::Div:
    case OpCode::Max:
    case OpCode::Min: {
      const TileType& x = need(op, a, "a");
      if (op == OpCode::Div)
        need_float(op, x);
      else
        need_numeric(op, x);
      if (in.form == BinaryForm::Scalar || in.form == BinaryForm::ScalarLhs) return {x, {}};
      const TileType& y = need(op, b, "b");
      if (x.dtype != y.dtype)
        fail(op, fmt::format("operand dtypes differ: {} and {} (cast one first)", x.to_string(),
                             y.to_string()));
      // Shapes that do not fit the form can only come from the named broadcast forms (the plain
      // ops pick the form from the shapes), so they report under those names (rowmul, ...).
      const std::string name = in.form == BinaryForm::PerRow   ? fmt::format("row{}", name_of(op))
                               : in.form == BinaryForm::PerCol ? fmt::format("col{}", name_of(op))
                                                               : std::string(name_of(op));
      const bool fits = in.form == BinaryForm::PerRow   ? y.rows == x.rows && y.cols == 1
                        : in.form == BinaryForm::PerCol ? y.rows == 1 && y.cols == x.cols
                                                        : y.rows == x.rows && y.cols == x.cols;
      if (!fits) {
        const std::string expected =
            in.form == BinaryForm::PerRow   ? fmt::format("a per-row operand {}x1", x.rows)
            : in.form == BinaryForm::PerCol ? fmt::format("a per-column operand 1x{}", x.cols)
                                            : std::string("equal shapes");
        throw TypeCheckError(fmt::format("{}: operands {} and {}: expected {}", name, x.to_string(),
                                         y.to_string(), expected));
      }
      return {x, {}};
    }
    case OpCode::Neg:
    case OpCode::Abs: {
      const TileType& x = need(op, a, "a");
      if (!is_float_tile(x.dtype) && x.dtype != DType::i32)
        fail(op, fmt::format("operand {} must be a float or i32 tile", x.to_string()));
      return {x, {}};
    }
    case OpCode::Exp:
    case OpCode::Log:
    case OpCode::Sqrt:
    case OpCode::Rsqrt:
    case OpCode::Tanh:
    case OpCode::Sigmoid:
    case OpCode::Relu:
    case OpCode::Gelu:
    case OpCode::Silu:
    case OpCode::Sin:
    case OpCode::Cos: {
      const TileType& x = need(op, a, "a");
      need_float(op, x);
      return {x, {}};
    }
    case OpCode::RowSum:
    case OpCode::RowMax:
    case OpCode::RowMin:
    case OpCode::RowMean: {
      const TileType& x = need(op, a, "a");
      if (op == OpCode::RowMean)
        need_float(op, x);
      else
        need_numeric(op, x);
      return {TileType{x.rows, 1, x.dtype}, {}};
    }
    case OpCode::ColSum:
    case OpCode::ColMax: {
      const TileType& x = need(op, a, "a");
      need_numeric(op, x);
      return {TileType{1, x.cols, x.dtype}, {}};
    }
    case OpCode::Broadcast: {
      const TileType& x = need(op, a, "a");
      need_shape(op, in.rows, in.cols);
      if ((x.rows != 1 && x.rows != in.rows) || (x.cols != 1 && x.cols != in.cols))
        fail(op, fmt::format("cannot broadcast {} to {}x{}: each dimension must be 1 or equal",
                             x.to_string(), in.rows, in.cols));
      return {TileType{in.rows, in.cols, x.dtype}, {}};
    }
    case OpCode::MatMul: {
      const TileType& x = need(op, a, "a");
      const TileType& y = need(op, b, "b");
      need_float(op, x);
      need_float(op, y);
      if (x.dtype != y.dtype)
        fail(op, fmt::format("operand dtypes differ: {} and {}", x.to_string(), y.to_string()));
      const int m = in.flag_a ? x.cols : x.rows;
      const int ka = in.flag_a ? x.rows : x.cols;
      const int kb = in.flag_b ? y.cols : y.rows;
      const int n = in.flag_b ? y.rows : y.cols;
      if (ka != kb)
        fail(op, fmt::format("inner dimensions differ: {}{} · {}{} ({} vs {})", x.to_string(),
                             in.flag_a ? "ᵀ" : "", y.to_string(), in.flag_b ? "ᵀ" : "", ka, kb));
      const TileType result{m, n, DType::f32};
      if (c != nullptr && *c != result)
        fail(op, fmt::format("accumulator {} must be {} (the product's shape, f32)", c->to_string(),
                             result.to_string()));
      return {result, {}};
    }
    case OpCode::TopK:
    case OpCode::Sort: {
      const TileType& x = need(op, a, "a");
      need_numeric(op, x);
      const int k = op == OpCode::Sort ? x.cols : in.k;
      if (k < 1 || k > x.cols)
        fail(op, fmt::format("k = {} is out of range for {} (1..{})", k, x.to_string(), x.cols));
      return {TileType{x.rows, k, x.dtype}, TileType{x.rows, k, DType::i32}};
    }
  }
  fail(op, "unknown op");
}

}  // namespace pto::detail
