#include "pto/wsp/tile/library.hpp"

namespace pto::lib {
namespace {

using wsp::In;
using wsp::Out;
using wsp::Scalar;

struct Def {
  std::string name;
  std::vector<wsp::ParamSpec> params;
  TileKernelBody body;
};

Def rmsnorm_def(int rows, int cols, DType dt) {
  return {"rmsnorm",
          {In("x", dt), In("gamma", dt), Out("y", dt), Scalar("eps", DType::f32)},
          [=](KernelIO& io) {
            const DynTile x = io.load("x", rows, cols);
            const DynTile gamma = io.load("gamma", 1, cols);
            const DynTile inv = rsqrt(add(rowmean(mul(x, x)), io.scalar("eps")));
            io.store("y", colmul(rowmul(x, inv), gamma));
          }};
}

Def softmax_def(int rows, int cols, DType dt) {
  return {"softmax", {In("x", dt), Out("y", dt), Scalar("scale", DType::f32)}, [=](KernelIO& io) {
            const DynTile x = mul(io.load("x", rows, cols), io.scalar("scale"));
            const DynTile e = exp(rowsub(x, rowmax(x)));
            io.store("y", rowdiv(e, rowsum(e)));
          }};
}

Def linear_gelu_def(int m, int k, int n, DType dt) {
  return {"linear_gelu",
          {In("x", dt), In("w", dt), In("bias", DType::f32), Out("y", DType::f32)},
          [=](KernelIO& io) {
            const DynTile acc = matmul(io.load("x", m, k), io.load("w", k, n));
            io.store("y", gelu(coladd(acc, io.load("bias", 1, n))));
          }};
}

Def topk_def(int rows, int cols, int k, DType dt) {
  return {"topk", {In("x", dt), Out("values", dt), Out("indices", DType::i32)}, [=](KernelIO& io) {
            auto [values, indices] = pto::topk(io.load("x", rows, cols), k);
            io.store("values", values);
            io.store("indices", indices);
          }};
}

wsp::Kernel kernel(Def d) {
  return make_tile_kernel(d.name, d.params, d.body);
}
std::shared_ptr<const TileProgram> program(Def d) {
  return trace_tile_program(d.name, d.params, d.body);
}

}  // namespace

wsp::Kernel rmsnorm(int rows, int cols, DType dt) {
  return kernel(rmsnorm_def(rows, cols, dt));
}
wsp::Kernel softmax(int rows, int cols, DType dt) {
  return kernel(softmax_def(rows, cols, dt));
}
wsp::Kernel linear_gelu(int m, int k, int n, DType dt) {
  return kernel(linear_gelu_def(m, k, n, dt));
}
wsp::Kernel topk(int rows, int cols, int k, DType dt) {
  return kernel(topk_def(rows, cols, k, dt));
}

std::shared_ptr<const TileProgram> rmsnorm_program(int rows, int cols, DType dt) {
  return program(rmsnorm_def(rows, cols, dt));
}
std::shared_ptr<const TileProgram> softmax_program(int rows, int cols, DType dt) {
  return program(softmax_def(rows, cols, dt));
}
std::shared_ptr<const TileProgram> linear_gelu_program(int m, int k, int n, DType dt) {
  return program(linear_gelu_def(m, k, n, dt));
}
std::shared_ptr<const TileProgram> topk_program(int rows, int cols, int k, DType dt) {
  return program(topk_def(rows, cols, k, dt));
}

}  // namespace pto::lib
