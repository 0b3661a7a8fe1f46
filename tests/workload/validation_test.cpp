// Validation: one bad program per test, each checked for its error type and message. Lowering and
// binding reject everything that can be known before a task exists; the enumerator rejects views
// and sizes that depend on loop variables before it hands out the task.
#include <gtest/gtest.h>

#include "support/expect_error.hpp"
#include "workload/fixtures.hpp"

namespace pto::wsp {
namespace {

using testing::noop_kernel;
using testing::task_names;

class Validation : public ::testing::Test {
 protected:
  Kernel attn = noop_kernel(
      "attn", {In("q", DType::f32, 1), Out("o", DType::f32, 1), Scalar("scale", DType::f32)});
  TensorRef Q = tensor("Q", DType::f32, 2);
  TensorRef O = tensor("O", DType::f32, 2);
};

TEST_F(Validation, TooManyPositionalArguments) {
  Workload w = task(attn, {}, {Q[0], O[0], 1.0, 2});
  EXPECT_THROW_MSG(lower(w), CompileError,
                   "task attn[]: 4 arguments given but kernel attn(In q: f32[rank 1], Out o: "
                   "f32[rank 1], Scalar scale: f32) takes 3");
}

TEST_F(Validation, UnknownParameterName) {
  Workload w = task(attn, {}, {{"q", Q[0]}, {"out", O[0]}, {"scale", 1.0}});
  EXPECT_THROW_MSG(
      lower(w), CompileError,
      "task attn[]: kernel 'attn' has no parameter 'out' (expected one of q, o, scale)");
}

TEST_F(Validation, MissingArgument) {
  Workload w = task(attn, {}, {{"q", Q[0]}, {"scale", 1.0}});
  EXPECT_THROW_MSG(lower(w), CompileError,
                   "task attn[]: argument 'o' (Out o: f32[rank 1]) of kernel 'attn' is missing");
}

TEST_F(Validation, ArgumentGivenTwice) {
  Workload w = task(attn, {}, {Q[0], {"q", Q[1]}, {"o", O[0]}, {"scale", 1.0}});
  EXPECT_THROW_MSG(lower(w), CompileError, "argument 'q' of kernel 'attn' is given twice");
}

TEST_F(Validation, ReadOnlyTensorPassedToAnOutParameter) {
  TensorRef R = tensor("R", DType::f32, 2, TensorAccess::ReadOnly);
  Workload w = task(attn, {}, {Q[0], R[0], 1.0});
  EXPECT_THROW_MSG(lower(w), CompileError,
                   "argument 'o' of kernel 'attn': the parameter is Out but tensor 'R' is declared "
                   "read-only");
}

TEST_F(Validation, ReadOnlyBoundTensorWrittenByTheWorkload) {
  Workload w = task(attn, {}, {Q[0], O[0], 1.0});
  Plan plan = lower(w);
  const std::vector<float> data(8, 0.0f);
  Bindings b;
  b.set_tensor("Q", Tensor::zeros(DType::f32, {2, 4}))
      .set_tensor("O", Tensor::borrow(data.data(), {2, 4}));
  EXPECT_THROW_MSG(bind(plan, b), CompileError,
                   "tensor 'O' is written by the workload but bound to a read-only tensor");
}

TEST_F(Validation, ScalarGivenForATensorParameter) {
  Workload w = task(attn, {}, {7, O[0], 1.0});
  EXPECT_THROW_MSG(lower(w), TypeCheckError,
                   "argument 'q' of kernel 'attn': expected a tensor view (In q: f32[rank 1]), got "
                   "the scalar 7");
}

TEST_F(Validation, TensorGivenForAScalarParameter) {
  Workload w = task(attn, {}, {Q[0], O[0], Q[1]});
  EXPECT_THROW_MSG(
      lower(w), TypeCheckError,
      "argument 'scale' of kernel 'attn': expected a scalar (Scalar scale: f32), got the "
      "tensor view Q[1]");
}

TEST_F(Validation, FloatGivenForAnIntegerScalar) {
  Kernel k = noop_kernel("k", {Scalar("n", DType::i32)});
  EXPECT_THROW_MSG(
      lower(task(k, {}, {2.5})), TypeCheckError,
      "argument 'n' of kernel 'k': expected an integer (Scalar n: i32), got the float 2.5");
}

TEST_F(Validation, ViewDtypeDiffersFromTheParameter) {
  TensorRef H = tensor("H", DType::f16, 2);
  Workload w = task(attn, {}, {H[0], O[0], 1.0});
  EXPECT_THROW_MSG(lower(w), TypeCheckError,
                   "argument 'q' of kernel 'attn': expected dtype f32, got f16 view H[0]");
}

TEST_F(Validation, ViewRankDiffersFromTheParameter) {
  Workload w = task(attn, {}, {Q, O[0], 1.0});
  EXPECT_THROW_MSG(lower(w), TypeCheckError,
                   "argument 'q' of kernel 'attn': expected a view of rank 1, got Q of rank 2");
}

TEST_F(Validation, BoundTensorDtypeOrRankDiffersFromTheDeclaration) {
  Plan plan = lower(task(attn, {}, {Q[0], O[0], 1.0}));
  Bindings b;
  b.set_tensor("Q", Tensor::zeros(DType::bf16, {2, 4}))
      .set_tensor("O", Tensor::zeros(DType::f32, {2, 4}));
  EXPECT_THROW_MSG(bind(plan, b), TypeCheckError,
                   "tensor 'Q': declared f32 of rank 2, bound to bf16[2, 4]");
  b.set_tensor("Q", Tensor::zeros(DType::f32, {2, 4, 1}));
  EXPECT_THROW_MSG(bind(plan, b), TypeCheckError,
                   "tensor 'Q': declared f32 of rank 2, bound to f32[2, 4, 1]");
}

TEST_F(Validation, TwoDifferentTensorsWithOneName) {
  TensorRef Q2 = tensor("Q", DType::f32, 3);
  Workload w = combine({task(attn, {}, {Q[0], O[0], 1.0}), task(attn, {}, {Q2[0][0], O[1], 1.0})});
  EXPECT_THROW_MSG(lower(w), CompileError,
                   "two different tensors are named 'Q' (f32, rank 2 and f32, rank 3)");
}

TEST_F(Validation, ViewOutsideItsTensorNamesTaskArgumentAndBound) {
  Workload w = parallel_for(DenseDyn("n"), "b", [&](Var b) {
    return task(attn, {b}, {Q[b], O[b].slice(0, b + 3), 1.0});
  });
  Plan plan = lower(w);
  Bindings values;
  values.set("n", 2)
      .set_tensor("Q", Tensor::zeros(DType::f32, {2, 3}))
      .set_tensor("O", Tensor::zeros(DType::f32, {2, 3}));
  std::vector<std::string> seen;
  EXPECT_THROW_MSG(
      enumerate_tasks(plan, bind(plan, values),
                      [&](const TaskInstance& t) { seen.push_back(t.name()); }),
      CompileError,
      "task attn[b=1]: argument 'o' = O[b].slice(0, (b + 3)): view f32[3].slice(0, 4) on "
      "dimension 0: range is outside [0, 3]");
  EXPECT_EQ(seen, std::vector<std::string>{"attn[b=0]"});  // the bad task was never handed out
  values.set("n", 3).set_tensor("O", Tensor::zeros(DType::f32, {3, 5}));
  EXPECT_THROW_MSG(
      enumerate_tasks(plan, bind(plan, values)), CompileError,
      "task attn[b=2]: argument 'q' = Q[b]: view f32[2, 3][2] on dimension 0: index 2 is "
      "outside [0, 2)");
}

TEST_F(Validation, NegativeDynamicSize) {
  Kernel k = noop_kernel("k", {});
  Workload w = parallel_for(DenseDyn("n"), "i", [&](Var i) { return task(k, {i}, {}); });
  EXPECT_THROW_MSG(
      task_names(w, Bindings().set("n", -1)), CompileError,
      "parallel_for(i in DenseDyn(n)): the size n evaluated to -1; sizes must be >= 0");
}

TEST_F(Validation, NegativeSizeThatDependsOnALoopVariable) {
  Kernel k = noop_kernel("k", {});
  Workload w = parallel_for(Dense(3), "b", [&](Var b) {
    return parallel_for(DenseDyn(1 - b), "i", [&](Var i) { return task(k, {b, i}, {}); });
  });
  EXPECT_THROW_MSG(task_names(w, Bindings()), CompileError,
                   "parallel_for(i in DenseDyn((1 - b))): the size (1 - b) evaluated to -1");
}

TEST_F(Validation, LoopNestWithMoreIterationsThan64BitsHold) {
  Kernel k = noop_kernel("k", {});
  Workload w = parallel_for(DenseDyn("n"), "a", [&](Var a) {
    return parallel_for(DenseDyn("n"), "b", [&](Var b) { return task(k, {a, b}, {}); });
  });
  EXPECT_THROW_MSG(
      task_names(w, Bindings().set("n", std::int64_t{1} << 40)), CompileError,
      "the loop nest has 1099511627776 x 1099511627776 iterations, more than fit in 64 "
      "bits");
}

TEST_F(Validation, RaggedLengthsCountDiffersFromTheOuterSize) {
  Kernel k = noop_kernel("k", {});
  Workload w = parallel_for(Ragged(symbol("rows"), "len"), "r", "j", [&](Var r, Var j) {
    return task(k, {r, j}, {});
  });
  EXPECT_THROW_MSG(task_names(w, Bindings().set("rows", 4).set_array("len", {1, 2, 3})),
                   CompileError, "Ragged lengths 'len' has 3 entries but the outer size is 4");
  EXPECT_THROW_MSG(task_names(w, Bindings().set("rows", 2).set_array("len", {1, -2})), CompileError,
                   "Ragged lengths 'len'[1] is -2; lengths must be >= 0");
}

TEST_F(Validation, RaggedOuterSizeMustNotUseLoopVariables) {
  Kernel k = noop_kernel("k", {});
  Workload w = parallel_for(Dense(2), "b", [&](Var b) {
    return parallel_for(Ragged(b + 1, "len"), "r", "j", [&](Var r, Var j) {
      return task(k, {r, j}, {});
    });
  });
  EXPECT_THROW_MSG(lower(w), CompileError,
                   "uses loop variable 'b' but may only use constants and symbols");
}

TEST_F(Validation, SparseIndptrMustStartAtZero) {
  Kernel k = noop_kernel("k", {});
  Workload w = select(Sparse(2, "indptr", "idx"), "r", "i", [&](Var r, Var i) {
    return task(k, {r, i}, {});
  });
  EXPECT_THROW_MSG(
      task_names(w, Bindings().set_array("indptr", {1, 1, 2}).set_array("idx", {0, 1})),
      CompileError, "Sparse indptr 'indptr' starts at 1, expected 0");
}

TEST_F(Validation, SparseIndptrMustBeMonotone) {
  Kernel k = noop_kernel("k", {});
  Workload w = select(Sparse(3, "indptr", "idx"), "r", "i", [&](Var r, Var i) {
    return task(k, {r, i}, {});
  });
  EXPECT_THROW_MSG(
      task_names(w, Bindings().set_array("indptr", {0, 2, 1, 2}).set_array("idx", {0, 1})),
      CompileError, "Sparse indptr 'indptr' is not monotone: entry 1 is 2 but entry 2 is 1");
}

TEST_F(Validation, SparseIndptrMustEndAtTheNumberOfIndices) {
  Kernel k = noop_kernel("k", {});
  Workload w = select(Sparse(2, "indptr", "idx"), "r", "i", [&](Var r, Var i) {
    return task(k, {r, i}, {});
  });
  EXPECT_THROW_MSG(
      task_names(w, Bindings().set_array("indptr", {0, 1, 3}).set_array("idx", {0, 1})),
      CompileError, "Sparse indptr 'indptr' ends at 3 but indices 'idx' has 2 entries");
  EXPECT_THROW_MSG(task_names(w, Bindings().set_array("indptr", {0, 2}).set_array("idx", {0, 1})),
                   CompileError,
                   "Sparse indptr 'indptr' has 2 entries but the outer size 2 needs 3");
}

TEST_F(Validation, RowOutsideTheAxis) {
  Kernel k = noop_kernel("k", {});
  Axis kv = Ragged(2, "len");
  Workload w = parallel_for(Dense(3), "b", [&](Var b) {
    return for_each(row(kv, b), "t", [&](Var t) { return task(k, {b, t}, {}); });
  });
  EXPECT_THROW_MSG(task_names(w, Bindings().set_array("len", {1, 1})), CompileError,
                   "for_each(t in Ragged(2, lengths=len).row(b)) at b=2: row 2 is outside [0, 2)");
}

TEST_F(Validation, UnknownKernel) {
  KernelRegistry registry;
  registry.add(noop_kernel("gemm", {}));
  registry.add(noop_kernel("norm", {}));
  EXPECT_THROW_MSG(lower(task("gemv", {}, {}), &registry), CompileError,
                   "task gemv[]: unknown kernel 'gemv' (registered: gemm, norm)");
  EXPECT_THROW_MSG(lower(task("gemv", {}, {})), CompileError,
                   "kernel 'gemv' is named by string but no KernelRegistry was given");
}

TEST_F(Validation, SymbolArrayOrTensorNeverBound) {
  Kernel k = noop_kernel("k", {In("x", DType::f32, 0)});
  TensorRef X = tensor("X", DType::f32, 1);
  ArrayRef len = array("len");
  Workload w =
      parallel_for(DenseDyn("batch"), "b", [&](Var b) { return task(k, {b}, {X[len[b]]}); });
  Plan plan = lower(w);
  EXPECT_THROW_MSG(
      bind(plan, Bindings()), CompileError,
      "symbol 'batch' is never bound (used by parallel_for(b in DenseDyn(batch)) size)");
  EXPECT_THROW_MSG(bind(plan, Bindings().set("batch", 1)), CompileError,
                   "array 'len' is never bound (used by task k[b]: argument 'x' of kernel 'k')");
  EXPECT_THROW_MSG(bind(plan, Bindings().set("batch", 1).set_array("len", {0})), CompileError,
                   "tensor 'X' is never bound");
}

TEST_F(Validation, VariableUsedOutsideItsLoop) {
  Kernel k = noop_kernel("k", {Scalar("x")});
  Var escaped("i");
  Workload w = combine({parallel_for(Dense(2), "i",
                                     [&](Var i) {
                                       escaped = i;
                                       return task(k, {i}, {i});
                                     }),
                        task(k, {}, {Expr(escaped)})});
  EXPECT_THROW_MSG(
      lower(w), CompileError,
      "task k[]: argument 'x' of kernel 'k': variable 'i' is used outside the loop that "
      "binds it");
  Workload unbound_axis = task(k, {escaped}, {1});
  EXPECT_THROW_MSG(lower(unbound_axis), CompileError,
                   "task k[i]: axis 'i' is not bound by an enclosing loop");
}

TEST_F(Validation, TaskParametersBelongToScheduleKeysOnly) {
  Kernel k = noop_kernel("k", {Scalar("x")});
  EXPECT_THROW_MSG(lower(task(k, {}, {param("x") + 1})), CompileError,
                   "param(x) refers to a task parameter, which only a schedule key can read");
}

TEST_F(Validation, ArrayIndexOutOfRangeInAnExpression) {
  Kernel k = noop_kernel("k", {Scalar("x")});
  ArrayRef len = array("len");
  Workload w = parallel_for(Dense(3), "b", [&](Var b) { return task(k, {b}, {len[b]}); });
  EXPECT_THROW_MSG(task_names(w, Bindings().set_array("len", {1, 2})), CompileError,
                   "expression 'len[b]': index 2 is outside array 'len' of 2 entries");
}

TEST_F(Validation, TwoKernelsWithOneName) {
  Kernel a1 = noop_kernel("a", {}), a2 = noop_kernel("a", {});
  EXPECT_THROW_MSG(lower(combine({task(a1, {}, {}), task(a2, {}, {})})), CompileError,
                   "two different kernels are named 'a'");
}

TEST_F(Validation, LoopVariableBoundTwice) {
  Kernel k = noop_kernel("k", {});
  Var i("i");
  Workload inner = make_loop(LoopKind::Parallel, Dense(2), {i}, task(k, {i}, {}));
  EXPECT_THROW_MSG(lower(make_loop(LoopKind::Parallel, Dense(2), {i}, inner)), CompileError,
                   "variable 'i' is already bound by an enclosing loop");
}

}  // namespace
}  // namespace pto::wsp
