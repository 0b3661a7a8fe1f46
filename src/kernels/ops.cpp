// The op functions of the tile language: one path per op through the shared type rules, then
// either an instruction appended to the operands' program or the shared compute().
#include "pto/wsp/tile/ops.hpp"

#include <fmt/format.h>

#include "kernels/apply.hpp"
#include "kernels/tile_access.hpp"
#include "kernels/type_rules.hpp"
#include "pto/wsp/core/error.hpp"

namespace pto {
namespace {

using detail::Operands;

void need_defined(OpCode op, const DynTile* t) {
  if (t != nullptr && !t->defined())
    throw wsp::TypeCheckError(fmt::format("{}: an operand is an empty tile", name_of(op)));
}

/// The program the operands are values of, or null when all are concrete.
ProgramBuilder* builder_of(OpCode op, const Operands& o) {
  ProgramBuilder* builder = nullptr;
  bool concrete = false;
  for (const DynTile* t : {o.a, o.b, o.c}) {
    if (t == nullptr) continue;
    need_defined(op, t);
    if (t->traced()) {
      if (builder != nullptr && builder != t->builder())
        throw wsp::TypeCheckError(
            fmt::format("{}: operands are values of different tile programs", name_of(op)));
      builder = t->builder();
    } else {
      concrete = true;
    }
  }
  if (builder != nullptr && concrete)
    throw wsp::TypeCheckError(fmt::format(
        "{}: mixes a concrete tile with a traced one; inside a tile kernel make constants with "
        "KernelIO::full / iota",
        name_of(op)));
  return builder;
}

const TileType* type_of(const DynTile* t) {
  return t ? &t->type() : nullptr;
}

}  // namespace

namespace detail {

/// Applies `in` to the operands: traced → appended to their program; concrete → computed.
/// Full/Iota with no operands go to `builder` when it is given.
std::pair<DynTile, DynTile> apply(Instr in, Operands o, ProgramBuilder* builder,
                                  TilePool* io_pool) {
  if (builder == nullptr) builder = builder_of(in.op, o);
  const auto [t1, t2] = infer_types(in, type_of(o.a), type_of(o.b), type_of(o.c));
  if (builder != nullptr) {
    if (o.a) in.a = builder->operand(*o.a, name_of(in.op));
    if (o.b) in.b = builder->operand(*o.b, name_of(in.op));
    if (o.c) in.c = builder->operand(*o.c, name_of(in.op));
    if (in.scalar.is_param()) {
      const auto& params = builder->params();
      const int p = in.scalar.param_index();
      if (p >= static_cast<int>(params.size()) ||
          params[static_cast<std::size_t>(p)].kind != wsp::ParamKind::Scalar)
        throw wsp::TypeCheckError(fmt::format(
            "{}: scalar operand names parameter {}, which is not a scalar of this program",
            name_of(in.op), p));
    }
    if (t2.rows > 0) return builder->emit2(in, t1, t2);
    return {builder->emit(in, t1), DynTile{}};
  }
  if (in.scalar.is_param())
    throw wsp::TypeCheckError(fmt::format(
        "{}: a scalar parameter operand outside a tile program (running kernels read it with "
        "KernelIO::scalar)",
        name_of(in.op)));
  // Results come from the operands' pool (inside a tile kernel), else the heap.
  TilePool* pool = nullptr;
  for (const DynTile* t : {o.a, o.b, o.c})
    if (t != nullptr && pool == nullptr) pool = t->pool();
  if (pool == nullptr) pool = io_pool;
  DynTile r(t1, pool);
  DynTile r2 = t2.rows > 0 ? DynTile(t2, pool) : DynTile{};
  TileRef ra = o.a ? TileAccess::ref(*o.a) : TileRef{};
  TileRef rb = o.b ? TileAccess::ref(*o.b) : TileRef{};
  TileRef rc = o.c ? TileAccess::ref(*o.c) : TileRef{};
  TileRef rr = TileAccess::ref(r);
  TileRef rr2 = t2.rows > 0 ? TileAccess::ref(r2) : TileRef{};
  Scratch scratch;
  compute(in, o.a ? &ra : nullptr, o.b ? &rb : nullptr, o.c ? &rc : nullptr, rr,
          t2.rows > 0 ? &rr2 : nullptr, in.scalar.value(), scratch);
  TileAccess::set_valid(r, rr);
  if (t2.rows > 0) TileAccess::set_valid(r2, rr2);
  return {std::move(r), std::move(r2)};
}

DynTile constant(OpCode op, TileType type, TileScalar value, ProgramBuilder* builder,
                 TilePool* pool) {
  Instr in;
  in.op = op;
  in.rows = type.rows;
  in.cols = type.cols;
  in.dtype = type.dtype;
  in.scalar = value;
  return apply(in, {}, builder, pool).first;
}

}  // namespace detail

namespace {

DynTile apply1(Instr in, Operands o) {
  return detail::apply(in, o).first;
}

Instr make(OpCode op) {
  Instr in;
  in.op = op;
  return in;
}

DynTile binary(OpCode op, const DynTile& a, const DynTile& b) {
  need_defined(op, &a);
  need_defined(op, &b);
  Instr in = make(op);
  in.form = detail::binary_form(op, a.type(), b.type());
  return apply1(in, {&a, &b});
}
DynTile binary(OpCode op, const DynTile& a, TileScalar s, BinaryForm form) {
  Instr in = make(op);
  in.form = form;
  in.scalar = s;
  return apply1(in, {&a});
}
DynTile binary_checked(OpCode op, BinaryForm form, const DynTile& a, const DynTile& b) {
  Instr in = make(op);
  in.form = form;
  return apply1(in, {&a, &b});
}
DynTile unary(OpCode op, const DynTile& a) {
  return apply1(make(op), {&a});
}

}  // namespace

DynTile full(TileType type, double value) {
  return detail::constant(OpCode::Full, type, value);
}

DynTile iota(TileType type, double start) {
  return detail::constant(OpCode::Iota, type, start);
}

DynTile cast(const DynTile& a, DType dtype) {
  Instr in = make(OpCode::Cast);
  in.dtype = dtype;
  return apply1(in, {&a});
}

#define PTO_TILE_DEFINE_BINARY(NAME, OP)             \
  DynTile NAME(const DynTile& a, const DynTile& b) { \
    return binary(OP, a, b);                         \
  }                                                  \
  DynTile NAME(const DynTile& a, TileScalar b) {     \
    return binary(OP, a, b, BinaryForm::Scalar);     \
  }                                                  \
  DynTile NAME(TileScalar a, const DynTile& b) {     \
    return binary(OP, b, a, BinaryForm::ScalarLhs);  \
  }
PTO_TILE_DEFINE_BINARY(add, OpCode::Add)
PTO_TILE_DEFINE_BINARY(sub, OpCode::Sub)
PTO_TILE_DEFINE_BINARY(mul, OpCode::Mul)
PTO_TILE_DEFINE_BINARY(div, OpCode::Div)
PTO_TILE_DEFINE_BINARY(max, OpCode::Max)
PTO_TILE_DEFINE_BINARY(min, OpCode::Min)
#undef PTO_TILE_DEFINE_BINARY

DynTile rowadd(const DynTile& a, const DynTile& b) {
  return binary_checked(OpCode::Add, BinaryForm::PerRow, a, b);
}
DynTile rowsub(const DynTile& a, const DynTile& b) {
  return binary_checked(OpCode::Sub, BinaryForm::PerRow, a, b);
}
DynTile rowmul(const DynTile& a, const DynTile& b) {
  return binary_checked(OpCode::Mul, BinaryForm::PerRow, a, b);
}
DynTile rowdiv(const DynTile& a, const DynTile& b) {
  return binary_checked(OpCode::Div, BinaryForm::PerRow, a, b);
}
DynTile coladd(const DynTile& a, const DynTile& b) {
  return binary_checked(OpCode::Add, BinaryForm::PerCol, a, b);
}
DynTile colmul(const DynTile& a, const DynTile& b) {
  return binary_checked(OpCode::Mul, BinaryForm::PerCol, a, b);
}

#define PTO_TILE_DEFINE_UNARY(NAME, OP) \
  DynTile NAME(const DynTile& a) {      \
    return unary(OP, a);                \
  }
PTO_TILE_DEFINE_UNARY(exp, OpCode::Exp)
PTO_TILE_DEFINE_UNARY(log, OpCode::Log)
PTO_TILE_DEFINE_UNARY(sqrt, OpCode::Sqrt)
PTO_TILE_DEFINE_UNARY(rsqrt, OpCode::Rsqrt)
PTO_TILE_DEFINE_UNARY(tanh, OpCode::Tanh)
PTO_TILE_DEFINE_UNARY(sigmoid, OpCode::Sigmoid)
PTO_TILE_DEFINE_UNARY(relu, OpCode::Relu)
PTO_TILE_DEFINE_UNARY(gelu, OpCode::Gelu)
PTO_TILE_DEFINE_UNARY(silu, OpCode::Silu)
PTO_TILE_DEFINE_UNARY(neg, OpCode::Neg)
PTO_TILE_DEFINE_UNARY(abs, OpCode::Abs)
PTO_TILE_DEFINE_UNARY(sin, OpCode::Sin)
PTO_TILE_DEFINE_UNARY(cos, OpCode::Cos)
PTO_TILE_DEFINE_UNARY(rowsum, OpCode::RowSum)
PTO_TILE_DEFINE_UNARY(rowmax, OpCode::RowMax)
PTO_TILE_DEFINE_UNARY(rowmin, OpCode::RowMin)
PTO_TILE_DEFINE_UNARY(rowmean, OpCode::RowMean)
PTO_TILE_DEFINE_UNARY(colsum, OpCode::ColSum)
PTO_TILE_DEFINE_UNARY(colmax, OpCode::ColMax)
#undef PTO_TILE_DEFINE_UNARY

DynTile broadcast(const DynTile& a, int rows, int cols) {
  Instr in = make(OpCode::Broadcast);
  in.rows = rows;
  in.cols = cols;
  return apply1(in, {&a});
}

DynTile matmul(const DynTile& a, const DynTile& b, MatmulOptions options) {
  Instr in = make(OpCode::MatMul);
  in.flag_a = options.transpose_a;
  in.flag_b = options.transpose_b;
  return apply1(in, {&a, &b});
}

DynTile matmul(const DynTile& a, const DynTile& b, const DynTile& acc, MatmulOptions options) {
  Instr in = make(OpCode::MatMul);
  in.flag_a = options.transpose_a;
  in.flag_b = options.transpose_b;
  return apply1(in, {&a, &b, &acc});
}

std::pair<DynTile, DynTile> topk(const DynTile& a, int k, bool largest) {
  Instr in = make(OpCode::TopK);
  in.k = k;
  in.flag_a = largest;
  return detail::apply(in, {&a});
}

std::pair<DynTile, DynTile> sort(const DynTile& a, bool descending) {
  Instr in = make(OpCode::Sort);
  in.flag_a = descending;
  return detail::apply(in, {&a});
}

}  // namespace pto
