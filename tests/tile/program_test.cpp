// Tile programs: the builder's checks, the listing, the interpreter (buffer reuse, ragged tails,
// identical results to the native kernel), the cost formulas and the machine's tile costs.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>

#include "pto/wsp/core/error.hpp"
#include "pto/wsp/sim/machine.hpp"
#include "pto/wsp/tile/cost.hpp"
#include "pto/wsp/tile/interpreter.hpp"
#include "pto/wsp/tile/library.hpp"
#include "support/expect_error.hpp"

namespace pto {
namespace {

using wsp::In;
using wsp::InOut;
using wsp::Out;
using wsp::Scalar;
using wsp::Tensor;
using wsp::TypeCheckError;

std::vector<wsp::ParamSpec> xy_params() {
  return {In("x", DType::f32), Out("y", DType::f32), Scalar("s", DType::f32), In("any"),
          InOut("acc", DType::f32)};
}

TEST(ProgramBuilder, LoadsAndStoresAreCheckedAgainstTheSignature) {
  ProgramBuilder b("k", xy_params());
  EXPECT_THROW_MSG(b.load("nope", 4, 4), TypeCheckError, "load", "no parameter 'nope'",
                   "x, y, s, any, acc");
  EXPECT_THROW_MSG(b.load("y", 4, 4), TypeCheckError, "'y' is Out", "In or InOut");
  EXPECT_THROW_MSG(b.load("any", 4, 4), TypeCheckError, "'any' must pin a tile dtype");
  EXPECT_THROW_MSG(b.load("x", 0, 4), TypeCheckError, "load", "0x4 is empty");
  EXPECT_THROW_MSG(b.load("x", 4, 4, -1, 0), TypeCheckError, "offset (-1, 0) is negative");
  const DynTile x = b.load("x", 4, 4);
  EXPECT_THROW_MSG(b.store("x", x), TypeCheckError, "'x' is In", "Out or InOut");
  EXPECT_THROW_MSG(b.store("y", cast(x, DType::f16)), TypeCheckError, "f16[4x4]",
                   "does not match parameter 'y'");
  EXPECT_THROW_MSG((void)b.scalar("x"), TypeCheckError, "'x' is a tensor");
  EXPECT_NO_THROW(b.store("acc", add(x, b.load("acc", 4, 4))));
}

TEST(ProgramBuilder, RejectsOperandsFromElsewhere) {
  ProgramBuilder b1("one", xy_params());
  ProgramBuilder b2("two", xy_params());
  const DynTile x1 = b1.load("x", 2, 2);
  const DynTile x2 = b2.load("x", 2, 2);
  EXPECT_THROW_MSG(add(x1, x2), TypeCheckError, "add", "different tile programs");
  EXPECT_THROW_MSG(add(x1, full(TileType{2, 2, DType::f32}, 1.0)), TypeCheckError, "add",
                   "mixes a concrete tile with a traced one");
  EXPECT_THROW_MSG(b2.store("y", x1), TypeCheckError, "a value of another tile program");
  EXPECT_THROW_MSG(mul(full(TileType{2, 2, DType::f32}, 1.0), b1.scalar("s")), TypeCheckError,
                   "mul", "outside a tile program");
  EXPECT_THROW_MSG(ProgramBuilder("dup", {In("x", DType::f32), Out("x", DType::f32)}),
                   wsp::CompileError, "'x' is declared twice");
}

TEST(ProgramBuilder, TypeErrorsNameTheOpAndOperands) {
  ProgramBuilder b("k", xy_params());
  const DynTile x = b.load("x", 16, 128);
  EXPECT_THROW_MSG(add(x, b.load("x", 16, 64)), TypeCheckError, "add:", "f32[16x128]",
                   "f32[16x64]");
  EXPECT_THROW_MSG(matmul(x, x), TypeCheckError, "matmul:", "inner dimensions differ");
  EXPECT_THROW_MSG(rowmul(x, b.load("x", 1, 128)), TypeCheckError, "mul:", "per-row operand 16x1");
}

TEST(TileProgram, ListsItsBody) {
  const auto p = lib::softmax_program(16, 128);
  const std::string text = p->to_string();
  EXPECT_NE(text.find("tile program softmax(In x: f32, Out y: f32, Scalar scale: f32)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("%0 = load x, @(0, 0) : f32[16x128]"), std::string::npos) << text;
  EXPECT_NE(text.find("%1 = mul %0, $scale : f32[16x128]"), std::string::npos) << text;
  EXPECT_NE(text.find("%2 = rowmax %1 : f32[16x1]"), std::string::npos) << text;
  EXPECT_NE(text.find("store y, %6, @(0, 0)"), std::string::npos) << text;
  EXPECT_FALSE(p->uses_matmul());
  EXPECT_TRUE(lib::linear_gelu_program(16, 16, 16)->uses_matmul());
}

// --- the interpreter -----------------------------------------------------------------------------

/// Arguments for a direct kernel call: tensors and scalars by parameter index.
struct Call {
  wsp::KernelSignature sig;
  std::vector<Tensor> tensors;
  std::vector<wsp::ScalarValue> scalars;
  wsp::TaskArgs args() const { return wsp::TaskArgs(sig, tensors, scalars, {}); }
};

Tensor random_tensor(wsp::Shape shape, std::uint32_t seed, double lo = -4, double hi = 4) {
  Tensor t = Tensor::zeros(DType::f32, shape);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(static_cast<float>(lo), static_cast<float>(hi));
  float* p = t.data<float>();
  for (std::int64_t i = 0; i < t.numel(); ++i) p[i] = d(rng);
  return t;
}

TEST(Interpreter, ReusesBuffersByLiveness) {
  ProgramBuilder b("chain", xy_params());
  DynTile x = b.load("x", 8, 8);
  for (int i = 0; i < 20; ++i) x = exp(neg(x));
  b.store("y", x);
  Interpreter interp(b.build());
  EXPECT_EQ(interp.program().values().size(), 41u);
  EXPECT_EQ(interp.slots(), 2);  // each op reads one value and writes the next
  Interpreter softmax(lib::softmax_program(16, 128));
  EXPECT_LT(softmax.slots(), static_cast<int>(softmax.program().values().size()));
}

TEST(Interpreter, RaggedTailsLoadAndStoreOnlyTheValidRegion) {
  // A 16x32 tile at (8, 4) of a 13x30 view: 5 valid rows, 26 valid columns.
  const std::vector<wsp::ParamSpec> params = {In("x", DType::f32), Out("y", DType::f32)};
  auto body = [](KernelIO& io) {
    const DynTile x = io.load("x", 16, 32, 8, 4);
    io.store("y", add(mul(x, 2.0), 1.0), 8, 4);
  };
  for (bool interpreted : {false, true}) {
    const wsp::Kernel k = interpreted ? make_program_kernel(trace_tile_program("t", params, body))
                                      : make_tile_kernel("t", params, body);
    Tensor x = random_tensor({13, 30}, 7);
    Tensor y = Tensor::zeros(DType::f32, {13, 30});
    for (std::int64_t i = 0; i < y.numel(); ++i) y.data<float>()[i] = -99.0f;
    Call call{k.signature(), {x, y}, {wsp::ScalarValue{}, wsp::ScalarValue{}}};
    k.fn()(call.args());
    for (int r = 0; r < 13; ++r)
      for (int c = 0; c < 30; ++c) {
        const float want = (r >= 8 && c >= 4) ? x.at<float>({r, c}) * 2.0f + 1.0f : -99.0f;
        ASSERT_EQ(y.at<float>({r, c}), want) << r << "," << c << " interpreted=" << interpreted;
      }
  }
}

TEST(Interpreter, BadBoundViewsRaiseExecutionErrors) {
  const wsp::Kernel k = make_program_kernel(lib::softmax_program(4, 8));
  Tensor x3 = Tensor::zeros(DType::f32, {2, 4, 8});
  Tensor y = Tensor::zeros(DType::f32, {4, 8});
  Call rank3{k.signature(), {x3, y, Tensor{}}, {{}, {}, wsp::ScalarValue{true, 0, 1.0}}};
  EXPECT_THROW_MSG(k.fn()(rank3.args()), wsp::ExecutionError, "load x", "rank 3");
  Tensor xh = Tensor::zeros(DType::f16, {4, 8});
  Call f16{k.signature(), {xh, y, Tensor{}}, {{}, {}, wsp::ScalarValue{true, 0, 1.0}}};
  EXPECT_THROW_MSG(k.fn()(f16.args()), wsp::ExecutionError, "load x", "f16");
  float data[32] = {};
  Tensor ro = Tensor::borrow_const(data, DType::f32, {4, 8});
  Call read_only{k.signature(), {y, ro, Tensor{}}, {{}, {}, wsp::ScalarValue{true, 0, 1.0}}};
  EXPECT_THROW_MSG(k.fn()(read_only.args()), wsp::ExecutionError, "store y", "read-only");
}

// --- cost formulas
// ---------------------------------------------------------------------------------

TEST(TileCost, SoftmaxHandComputed) {
  // Defaults: 256 B per vector repeat, 16 cycles to start an instruction, transcendental
  // instructions 4 cycles per repeat, 8 cycles to finish a reduced row, 64 B/cycle to global
  // memory after 200 cycles of latency. A 16x128 f32 tile is 8192 B = 32 repeats.
  const auto p = lib::softmax_program(16, 128);
  const ProgramCost c = analyze_cost(*p, TileCostModel{});
  const std::vector<double> want = {200 + 8192 / 64.0,   // load x
                                    16 + 32,             // mul by the scale
                                    16 + 32 + 16 * 8,    // rowmax
                                    16 + 32,             // sub the row max
                                    16 + 32 * 4,         // exp
                                    16 + 32 + 16 * 8,    // rowsum
                                    16 + 32 * 4,         // div by the row sum
                                    200 + 8192 / 64.0};  // store y
  EXPECT_EQ(c.per_instr, want);
  EXPECT_EQ(c.cycles, 1392);
  EXPECT_EQ(c.core, wsp::CoreKind::Vector);
  // f16 packs twice the elements into a repeat.
  const ProgramCost h = analyze_cost(*lib::softmax_program(16, 128, DType::f16), TileCostModel{});
  EXPECT_EQ(h.per_instr[4], 16 + 16 * 4);
  EXPECT_EQ(h.per_instr[0], 200 + 4096 / 64.0);
}

TEST(TileCost, MatmulCountsPaddedCubeFractals) {
  TileCostModel m;
  // 17x64 · 64x48: the cube pads 17 rows to 32, so 2 x 3 x 4 fractals, like 32x64 · 64x48.
  const auto p17 = lib::linear_gelu_program(17, 64, 48, DType::f16);
  const auto p32 = lib::linear_gelu_program(32, 64, 48, DType::f16);
  const ProgramCost c17 = analyze_cost(*p17, m), c32 = analyze_cost(*p32, m);
  ASSERT_EQ(p17->body()[2].op, OpCode::MatMul);
  EXPECT_EQ(c17.per_instr[2], 64 + 24);
  EXPECT_EQ(c32.per_instr[2], 64 + 24);
  EXPECT_EQ(c17.core, wsp::CoreKind::Cube);
  // f32 operands take cube_f32_factor cycles per fractal.
  const ProgramCost f = analyze_cost(*lib::linear_gelu_program(32, 64, 48), m);
  EXPECT_EQ(f.per_instr[2], 64 + 24 * 4);
  // gelu on the 32x48 f32 result: 6144 B = 24 repeats; 9 simple + 2 transcendental instructions.
  EXPECT_EQ(f.per_instr[5], 11 * 16 + 24 * (9 + 2 * 4));
  m.cube_m = 32;  // a wider cube: 1 x 3 x 4 fractals
  EXPECT_EQ(analyze_cost(*p17, m).per_instr[2], 64 + 12);
}

TEST(TileCost, MachineDescriptionsCarryTheTileCosts) {
  wsp::Machine m;
  m.tile_costs.gm_bytes_per_cycle = 32;
  m.tile_costs.cube_m = 32;
  const wsp::Machine back = wsp::Machine::from_json(m.to_json());
  EXPECT_EQ(back.tile_costs, m.tile_costs);
  // Optional as a whole (defaults), strict inside.
  std::string text = wsp::Machine{}.to_json();
  const auto at = text.find("\"tile_costs\"");
  ASSERT_NE(at, std::string::npos);
  std::string missing = text;
  missing.replace(missing.find("\"gm_latency_cycles\""),
                  std::string("\"gm_latency_cycles\"").size(), "\"gm_latency_cyclez\"");
  EXPECT_THROW_MSG(wsp::Machine::from_json(missing, "m.json"), wsp::CompileError,
                   "m.json: tile_costs", "gm_latency_cycles' is missing");
  std::string negative = text;
  const auto f = negative.find("\"gm_bytes_per_cycle\": ");
  negative.replace(f, std::string("\"gm_bytes_per_cycle\": 64.0").size(),
                   "\"gm_bytes_per_cycle\": -1.0");
  EXPECT_THROW_MSG(wsp::Machine::from_json(negative, "m.json"), wsp::CompileError,
                   "tile_costs: field 'gm_bytes_per_cycle' must be positive");
}

// --- regressions found in review
// ---------------------------------------------------------------------

TEST(TileReview, EmptyBroadcastOperandsLeaveNothingValid) {
  // rowadd with a per-row operand whose only column is not valid; broadcast of an invalid row.
  const std::vector<wsp::ParamSpec> params = {In("x", DType::f32), In("b", DType::f32),
                                              Out("y", DType::f32)};
  auto body = [](KernelIO& io) {
    const DynTile x = io.load("x", 4, 2);
    const DynTile b = io.load("b", 4, 1, 0, 5);  // column 5 of a 4x2 view: nothing valid
    io.store("y", rowadd(x, b));
    io.store("y", broadcast(io.load("x", 1, 2, 9, 0), 4, 2));  // row 9: nothing valid
  };
  for (bool interpreted : {false, true}) {
    const wsp::Kernel k = interpreted ? make_program_kernel(trace_tile_program("t", params, body))
                                      : make_tile_kernel("t", params, body);
    Tensor x = random_tensor({4, 2}, 3);
    Tensor y = Tensor::zeros(DType::f32, {4, 2});
    for (std::int64_t i = 0; i < y.numel(); ++i) y.data<float>()[i] = -7.0f;
    Call call{k.signature(), {x, x, y}, {{}, {}, {}}};
    k.fn()(call.args());
    for (std::int64_t i = 0; i < y.numel(); ++i)
      EXPECT_EQ(y.data<float>()[i], -7.0f) << "element " << i << " interpreted=" << interpreted;
  }
}

TEST(TileReview, TracedBodiesCannotReadRunTimeValues) {
  ProgramBuilder b("k", xy_params());
  const DynTile x = b.load("x", 4, 4);
  EXPECT_THROW_MSG((void)b.scalar("s").value(), TypeCheckError,
                   "has no value while a kernel is traced");
  EXPECT_THROW_MSG((void)x.valid_rows(), TypeCheckError, "f32[4x4]",
                   "known only when the program runs");
  EXPECT_EQ(full(TileType{2, 2, DType::f32}, 1.0).valid_rows(), 2);
}

TEST(TileReview, ScalarsConvertWithoutUndefinedBehaviour) {
  const DynTile i = full(TileType{1, 2, DType::i32}, 5.0);
  EXPECT_EQ(add(i, 1e20).at(0, 0), 4);  // saturated to INT64_MAX, whose low 32 bits are -1
  EXPECT_EQ(add(i, std::nan("")).at(0, 0), 5);
  EXPECT_EQ(iota(TileType{1, 3, DType::i32}, -1e30).at(0, 1), 1);  // INT64_MIN + 1, low bits
  // Narrow tiles round the double once: 1 + 2^-11 + 2^-40 is above the f16 halfway point.
  EXPECT_EQ(
      full(TileType{1, 1, DType::f16}, 1.0 + std::ldexp(1.0, -11) + std::ldexp(1.0, -40)).at(0, 0),
      1.0009765625);
  EXPECT_EQ(
      full(TileType{1, 1, DType::bf16}, 1.0 + std::ldexp(1.0, -8) + std::ldexp(1.0, -40)).at(0, 0),
      1.0078125);
}

TEST(TileReview, SetLeavesCopiesAlone) {
  DynTile a = full(TileType{2, 2, DType::f32}, 1.0);
  DynTile b = a;
  b.set(0, 0, 5.0);
  EXPECT_EQ(a.at(0, 0), 1.0);
  EXPECT_EQ(b.at(0, 0), 5.0);
}

TEST(TileReview, MachineTileCostsAreCheckedForRange) {
  std::string text = wsp::Machine{}.to_json();
  std::string big = text;
  big.replace(big.find("\"cube_m\": 16"), std::string("\"cube_m\": 16").size(),
              "\"cube_m\": 4294967312");
  EXPECT_THROW_MSG(wsp::Machine::from_json(big, "m.json"), wsp::CompileError,
                   "field 'cube_m' must be at most 4096");
  std::string null = text;
  const auto at = null.find("\"tile_costs\": {");
  null.replace(at, null.find('}', at) + 1 - at, "\"tile_costs\": null");
  EXPECT_THROW_MSG(wsp::Machine::from_json(null, "m.json"), wsp::CompileError,
                   "m.json: tile_costs must be an object");
}

}  // namespace
}  // namespace pto
