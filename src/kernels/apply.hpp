// Internal: applies one instruction to tiles (the path every op function takes).
#pragma once

#include <utility>

#include "pto/wsp/tile/program.hpp"

namespace pto::detail {

struct Operands {
  const DynTile* a = nullptr;
  const DynTile* b = nullptr;
  const DynTile* c = nullptr;
};

/// Type-checks `in`, then appends it to the operands' program (traced operands, or `builder` for
/// ops without operands) or computes it (concrete operands; the result's elements come from the
/// operands' pool, else `pool`, else the heap).
std::pair<DynTile, DynTile> apply(Instr in, Operands operands, ProgramBuilder* builder = nullptr,
                                  TilePool* pool = nullptr);

/// A Full or Iota tile of `type` (traced into `builder` when given, else from `pool` or the heap).
DynTile constant(OpCode op, TileType type, TileScalar value, ProgramBuilder* builder = nullptr,
                 TilePool* pool = nullptr);

}  // namespace pto::detail
