// A small kernel library written in the tile language: the building blocks of a transformer
// layer. Each is one body (pto::TileKernelBody) that runs natively, traces into a TileProgram for
// the interpreter and for its cost on the NPU model.
#pragma once

#include "pto/wsp/tile/tile_kernel.hpp"

namespace pto::lib {

/// y = x · rsqrt(mean(x², row) + eps) · gamma, one rows×cols tile.
/// Params: In x [rows×cols], In gamma [cols], Out y [rows×cols], Scalar eps (f32).
wsp::Kernel rmsnorm(int rows, int cols, DType dtype = DType::f32);
/// y = softmax(x · scale) per row.
/// Params: In x [rows×cols], Out y [rows×cols], Scalar scale (f32).
wsp::Kernel softmax(int rows, int cols, DType dtype = DType::f32);
/// y = gelu(x · w + bias) (tanh GELU), f32 result.
/// Params: In x [m×k], In w [k×n], In bias [n] (f32), Out y [m×n] (f32).
wsp::Kernel linear_gelu(int m, int k, int n, DType dtype = DType::f32);
/// Per row the k largest values and their column indices (ties to the lower index).
/// Params: In x [rows×cols], Out values [rows×k], Out indices [rows×k] (i32).
wsp::Kernel topk(int rows, int cols, int k, DType dtype = DType::f32);

/// The same kernels as tile programs (for the interpreter, or to inspect and cost them).
std::shared_ptr<const TileProgram> rmsnorm_program(int rows, int cols, DType dtype = DType::f32);
std::shared_ptr<const TileProgram> softmax_program(int rows, int cols, DType dtype = DType::f32);
std::shared_ptr<const TileProgram> linear_gelu_program(int m, int k, int n,
                                                       DType dtype = DType::f32);
std::shared_ptr<const TileProgram> topk_program(int rows, int cols, int k,
                                                DType dtype = DType::f32);

}  // namespace pto::lib
