// The cost of tile ops on the NPU model (DESIGN §4.5, §4.9): vector ops by bytes per cycle of the
// vector unit, matmul by 16×16×16 cube fractals, loads and stores by bytes per cycle of a core's
// path to global memory. The parameters are part of the machine description (JSON key
// "tile_costs"); defaults and their sources are in docs/tile.md.
#pragma once

#include <string_view>
#include <vector>

#include "pto/wsp/kernel/kernel.hpp"
#include "pto/wsp/tile/program.hpp"

namespace pto {

struct TileCostModel {
  double vector_bytes_per_cycle = 256;  ///< one vector instruction repeat: 256 B per cycle
  double vector_startup_cycles = 16;    ///< issue latency of one vector instruction
  double transcendental_cycles = 4;     ///< cycles per repeat of exp/log/sqrt/rsqrt/div/sin/cos
  double reduce_cycles_per_row = 8;     ///< finishing one row (or column) of a reduction
  int cube_m = 16, cube_n = 16, cube_k = 16;  ///< one cube fractal per cycle (f16/bf16)
  double cube_f32_factor = 4;                 ///< f32 operands take this many cycles per fractal
  double cube_startup_cycles = 64;            ///< filling the cube pipeline once per matmul
  double gm_bytes_per_cycle = 64;             ///< load/store bandwidth of one core to global memory
  double gm_latency_cycles = 200;             ///< first byte of a load or store
  double sort_cycles_per_pass = 2;  ///< per repeat and merge pass (log2 cols) of sort / top-k
  bool operator==(const TileCostModel&) const = default;
};

/// Cycles of one instruction of `program` on the model (shapes are the declared tile shapes:
/// the NPU processes whole tiles, padding included).
double instr_cycles(const TileProgram& program, const Instr& instr, const TileCostModel& model);

struct ProgramCost {
  wsp::CoreKind core = wsp::CoreKind::Vector;  ///< cube when the program uses matmul
  double cycles = 0;                           ///< sum over the body (no overlap inside a task)
  double gm_bytes = 0;  ///< bytes its loads and stores move between global memory and the core
  std::vector<double> per_instr;  ///< cycles by instruction
};
ProgramCost analyze_cost(const TileProgram& program, const TileCostModel& model);

}  // namespace pto
