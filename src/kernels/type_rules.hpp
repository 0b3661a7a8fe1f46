// The shape and dtype rules of tile ops, shared by the eager ops, the program builder and the
// interpreter so that all three accept exactly the same programs.
#pragma once

#include <string_view>
#include <utility>

#include "pto/wsp/tile/program.hpp"

namespace pto::detail {

/// The result type(s) of `instr` given its operands' types (null where the op has none).
/// Throws TypeCheckError naming the op and the operand types. Load/Store parameters are checked by
/// the builder, which knows the kernel's signature.
std::pair<TileType, TileType> infer_types(const Instr& instr, const TileType* a, const TileType* b,
                                          const TileType* c);

/// A load (store of a `tile`) of parameter `spec` at (row0, col0) — the same checks for a
/// traced program and a running kernel; errors name it as `what name` ("tile program softmax",
/// "kernel softmax"), formatted only when they are raised (running kernels call these per load).
void check_load(const wsp::ParamSpec& spec, int row0, int col0, std::string_view what,
                std::string_view name);
void check_store(const wsp::ParamSpec& spec, const TileType& tile, int row0, int col0,
                 std::string_view what, std::string_view name);
void check_store(const wsp::ParamSpec& spec, const TileType& tile, int row0, int col0,
                 std::string_view where);

/// The form a binary op takes for operands of these shapes (Full, PerRow or PerCol); throws
/// TypeCheckError when they do not line up.
BinaryForm binary_form(OpCode op, const TileType& a, const TileType& b);

}  // namespace pto::detail
