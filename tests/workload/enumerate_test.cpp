// The reference enumerator: every axis kind (with empty rows and zero sizes), program order,
// cond, resolved views and scalars, and re-binding new values to one Plan.
#include <gtest/gtest.h>

#include "support/expect_error.hpp"
#include "workload/fixtures.hpp"

namespace pto::wsp {
namespace {

using testing::joined;
using testing::noop_kernel;
using testing::task_names;

class Enumerate : public ::testing::Test {
 protected:
  Kernel k = noop_kernel("k", {});
};

TEST_F(Enumerate, DenseAndDenseDynGridInRowMajorOrder) {
  Workload w = parallel_for(DenseDyn("n"), "b", [&](Var b) {
    return parallel_for(Dense<2>(), "h", [&](Var h) { return task(k, {b, h}, {}); });
  });
  EXPECT_EQ(joined(task_names(w, Bindings().set("n", 2))),
            "k[b=0, h=0] k[b=0, h=1] k[b=1, h=0] k[b=1, h=1]");
  EXPECT_TRUE(task_names(w, Bindings().set("n", 0)).empty());
}

TEST_F(Enumerate, ZeroSizedStaticAxisHasNoTasks) {
  Workload w = parallel_for(Dense(0), "i", [&](Var i) { return task(k, {i}, {}); });
  EXPECT_TRUE(task_names(w, Bindings()).empty());
}

TEST_F(Enumerate, DenseDynSizeMayDependOnAnOuterVariable) {
  ArrayRef len = array("len");
  Workload w = parallel_for(Dense(3), "b", [&](Var b) {
    return for_each(DenseDyn(len[b] / 2), "t", [&](Var t) { return task(k, {b, t}, {}); });
  });
  EXPECT_EQ(joined(task_names(w, Bindings().set_array("len", {4, 1, 2}))),
            "k[b=0, t=0] k[b=0, t=1] k[b=2, t=0]");
}

TEST_F(Enumerate, WholeRaggedAxisBindsRowAndIndexAndSkipsEmptyRows) {
  Workload w = parallel_for(Ragged(symbol("rows"), "len"), "r", "j", [&](Var r, Var j) {
    return task(k, {r, j}, {});
  });
  EXPECT_EQ(joined(task_names(w, Bindings().set("rows", 4).set_array("len", {2, 0, 1, 0}))),
            "k[r=0, j=0] k[r=0, j=1] k[r=2, j=0]");
  EXPECT_TRUE(task_names(w, Bindings().set("rows", 0).set_array("len", {})).empty());
}

TEST_F(Enumerate, RaggedRowRunsLengthsOfThatRow) {
  Axis kv = Ragged(3, "tiles");
  Workload w = parallel_for(Dense(3), "b", [&](Var b) {
    return for_each(row(kv, b), "t", [&](Var t) { return task(k, {b, t}, {}); });
  });
  EXPECT_EQ(joined(task_names(w, Bindings().set_array("tiles", {1, 0, 3}))),
            "k[b=0, t=0] k[b=2, t=0] k[b=2, t=1] k[b=2, t=2]");
}

TEST_F(Enumerate, WholeSparseAxisKeepsTheRowOfEachSelectedIndex) {
  Axis routes = Sparse(3, "indptr", "idx");
  Workload w = select(routes, "e", "tok", [&](Var e, Var tok) { return task(k, {e, tok}, {}); });
  Bindings b;
  b.set_array("indptr", {0, 2, 2, 3}).set_array("idx", {5, 7, 1});
  EXPECT_EQ(joined(task_names(w, b)), "k[e=0, tok=5] k[e=0, tok=7] k[e=2, tok=1]");
}

TEST_F(Enumerate, SelectOverASparseRowVisitsItsIndicesInOrder) {
  Axis routes = Sparse(symbol("experts"), "indptr", "idx");
  Workload w = parallel_for(DenseDyn("experts"), "e", [&](Var e) {
    return select(row(routes, e), "tok", [&](Var tok) { return task(k, {e, tok}, {}); });
  });
  Bindings b;
  b.set("experts", 3).set_array("indptr", {0, 0, 3, 4}).set_array("idx", {9, 4, 6, 0});
  EXPECT_EQ(joined(task_names(w, b)), "k[e=1, tok=9] k[e=1, tok=4] k[e=1, tok=6] k[e=2, tok=0]");
}

TEST_F(Enumerate, CondPicksOneBranchPerContext) {
  Kernel small = noop_kernel("small", {}), large = noop_kernel("large", {});
  ArrayRef len = array("len");
  Workload w = parallel_for(Dense(4), "b", [&](Var b) {
    return cond(len[b] > 100, task(large, {b}, {}), task(small, {b}, {}));
  });
  EXPECT_EQ(joined(task_names(w, Bindings().set_array("len", {10, 200, 100, 101}))),
            "small[b=0] large[b=1] small[b=2] large[b=3]");
  Workload only_then =
      parallel_for(Dense(3), "b", [&](Var b) { return cond(b != 1, task(small, {b}, {})); });
  EXPECT_EQ(joined(task_names(only_then, Bindings())), "small[b=0] small[b=2]");
}

TEST_F(Enumerate, CondReadsSlotsSetBeforeTheRun) {
  Kernel a = noop_kernel("a", {}), b = noop_kernel("b", {});
  Workload w = cond(slot("route") == 1, task(a, {}, {}), task(b, {}, {}));
  EXPECT_EQ(joined(task_names(w, Bindings())), "b[]");  // unbound slots start at 0
  EXPECT_EQ(joined(task_names(w, Bindings().set_slot("route", 1))), "a[]");
}

TEST_F(Enumerate, CombineAndSequentialListChildrenInProgramOrder) {
  Kernel a = noop_kernel("a", {}), b = noop_kernel("b", {});
  Workload w = sequential({
      combine(
          {parallel_for(Dense(2), "i", [&](Var i) { return task(a, {i}, {}); }), task(b, {}, {})}),
      for_each(Dense(2), "j", [&](Var j) { return task(b, {j}, {}); }),
  });
  EXPECT_EQ(joined(task_names(w, Bindings())), "a[i=0] a[i=1] b[] b[j=0] b[j=1]");
}

TEST_F(Enumerate, ResolvesViewsRegionsAndScalars) {
  Kernel attn = noop_kernel("attn", {In("k", DType::f32, 2), Out("o", DType::f32, 1), Scalar("len"),
                                     Scalar("scale", DType::f32)});
  TensorRef K = tensor("K", DType::f32, 3), O = tensor("O", DType::f32, 2);
  ArrayRef len = array("len");
  Workload w = parallel_for(Dense(2), "b", [&](Var b) {
    return for_each(DenseDyn((len[b] + 3) / 4), "t", [&](Var t) {
      return task(attn, {b, t}, {K[b].slice(t * 4, min(t * 4 + 4, len[b])), O[b], len[b], 0.5});
    });
  });
  Plan plan = lower(w);
  Tensor kt = Tensor::zeros(DType::f32, {2, 8, 3}), o = Tensor::zeros(DType::f32, {2, 3});
  Bindings values;
  values.set_array("len", {6, 3}).set_tensor("K", kt).set_tensor("O", o);
  std::vector<TaskInstance> tasks = enumerate_tasks(plan, bind(plan, values));
  ASSERT_EQ(tasks.size(), 3u);
  EXPECT_EQ(tasks[0].to_string(),
            "attn[b=0, t=0](k=f32[4, 3] @[0, 0:4, 0:3], o=f32[3] @[0, 0:3], len=6, scale=0.5)");
  EXPECT_EQ(tasks[1].to_string(),
            "attn[b=0, t=1](k=f32[2, 3] @[0, 4:6, 0:3], o=f32[3] @[0, 0:3], len=6, scale=0.5)");
  EXPECT_EQ(tasks[2].to_string(),
            "attn[b=1, t=0](k=f32[3, 3] @[1, 0:3, 0:3], o=f32[3] @[1, 0:3], len=3, scale=0.5)");
  // The views are zero-copy sub-views of the bound tensors.
  EXPECT_EQ(tasks[1].tensors[0].bytes(), kt[0][4].bytes());
  EXPECT_EQ(tasks[2].args().tensor("o").bytes(), o[1].bytes());
  EXPECT_EQ(tasks[2].args().scalar("len").i, 3);
  EXPECT_EQ(tasks[2].args().axis("t"), 0);
}

// Chains of selects are compiled once per binding and replayed per task: on a bound view that is
// permuted and strided, each task's view is the one Tensor::select gives, and an index outside
// its dimension still fails with the general path's message.
TEST_F(Enumerate, CompiledSelectChainsGiveTheViewsOfSelect) {
  Kernel touch = noop_kernel("touch", {InOut("x", DType::f32, 1)});
  TensorRef X = tensor("X", DType::f32, 3);
  Workload w = parallel_for(Dense(3), "i", [&](Var i) {
    return parallel_for(Dense(2), "j", [&](Var j) { return task(touch, {i, j}, {X[j][2 - i]}); });
  });
  Plan plan = lower(w);
  Tensor base = Tensor::zeros(DType::f32, {4, 5, 6});
  Tensor x = base.permute({2, 0, 1}).slice(2, 0, 5, 2);  // f32[6, 4, 3], strided and permuted
  Bindings values;
  values.set_tensor("X", x);
  BoundValues bound = bind(plan, values);
  for (std::size_t n = 0; n < plan.nodes.size(); ++n) {
    const bool is_task = plan.nodes[n].kind == NodeKind::Task;
    ASSERT_EQ(bound.select_chains[n].size(), is_task ? 1u : 0u);
    if (is_task) {
      EXPECT_TRUE(bound.select_chains[n][0].has_value());
    }
  }
  std::vector<TaskInstance> tasks = enumerate_tasks(plan, bound);
  ASSERT_EQ(tasks.size(), 6u);
  for (const TaskInstance& t : tasks) {
    const std::int64_t i = t.args().axis("i"), j = t.args().axis("j");
    const Tensor expected = x.select(0, j).select(0, 2 - i);
    EXPECT_EQ(t.tensors[0].bytes(), expected.bytes()) << t.name();
    EXPECT_EQ(t.tensors[0].shape(), expected.shape()) << t.name();
    EXPECT_EQ(t.tensors[0].strides(), expected.strides()) << t.name();
    EXPECT_EQ(t.tensors[0].region().to_string(), expected.region().to_string()) << t.name();
  }
  // A constant index is applied when the chain is compiled, a lone variable read directly; one
  // out of range still names the task.
  Workload mixed = parallel_for(Dense(4), "j", [&](Var j) { return task(touch, {j}, {X[5][j]}); });
  Plan mixed_plan = lower(mixed);
  BoundValues mixed_bound = bind(mixed_plan, values);
  std::vector<TaskInstance> mixed_tasks = enumerate_tasks(mixed_plan, mixed_bound);
  ASSERT_EQ(mixed_tasks.size(), 4u);
  for (const TaskInstance& t : mixed_tasks) {
    const Tensor expected = x.select(0, 5).select(0, t.args().axis("j"));
    EXPECT_EQ(t.tensors[0].bytes(), expected.bytes()) << t.name();
    EXPECT_EQ(t.tensors[0].region().to_string(), expected.region().to_string()) << t.name();
  }
  Workload far = parallel_for(Dense(2), "j", [&](Var j) { return task(touch, {j}, {X[6][j]}); });
  Plan far_plan = lower(far);
  EXPECT_THROW_MSG(enumerate_tasks(far_plan, bind(far_plan, values)), CompileError,
                   "task touch[j=0]: argument 'x' = X[6][j]", "index 6 is outside [0, 6)");
  Workload bad = parallel_for(Dense(4), "i", [&](Var i) { return task(touch, {i}, {X[0][i]}); });
  Plan bad_plan = lower(bad);
  Tensor small = Tensor::zeros(DType::f32, {1, 3, 2});
  EXPECT_THROW_MSG(enumerate_tasks(bad_plan, bind(bad_plan, Bindings().set_tensor("X", small))),
                   CompileError, "task touch[i=3]: argument 'x' = X[0][i]",
                   "index 3 is outside [0, 3)");
}

TEST_F(Enumerate, OnePlanRunsAgainWithNewSizesTablesAndTensors) {
  Kernel touch = noop_kernel("touch", {InOut("x", DType::f32, 1)});
  TensorRef X = tensor("X", DType::f32, 2);
  Workload w = parallel_for(Ragged(symbol("n"), "len"), "r", "j", [&](Var r, Var j) {
    return task(touch, {r, j}, {X[r].slice(j, j + 1)});
  });
  Plan plan = lower(w);
  Tensor a = Tensor::zeros(DType::f32, {2, 4}), b = Tensor::zeros(DType::f32, {3, 2});

  Bindings first;
  first.set("n", 2).set_array("len", {4, 1}).set_tensor("X", a);
  std::vector<TaskInstance> t1 = enumerate_tasks(plan, bind(plan, first));
  ASSERT_EQ(t1.size(), 5u);
  EXPECT_EQ(t1.back().tensors[0].bytes(), a[1].bytes());

  Bindings second;
  second.set("n", 3).set_array("len", {0, 2, 2}).set_tensor("X", b);
  std::vector<TaskInstance> t2 = enumerate_tasks(plan, bind(plan, second));
  ASSERT_EQ(t2.size(), 4u);
  EXPECT_EQ(t2.front().name(), "touch[r=1, j=0]");
  EXPECT_EQ(t2.back().tensors[0].bytes(), b[2].slice(1, 2).bytes());
}

TEST_F(Enumerate, StringNamedKernelsResolveThroughTheRegistry) {
  KernelRegistry registry;
  registry.add(noop_kernel("gemm", {Scalar("i")}));
  Workload w = parallel_for(Dense(2), "i", [&](Var i) { return task("gemm", {i}, {i}); });
  EXPECT_EQ(joined(task_names(w, Bindings(), &registry)), "gemm[i=0] gemm[i=1]");
}

TEST_F(Enumerate, ConflictingTasksShowOverlappingRegions) {
  // The regions the dependency tracker will compare: tile t writes what tile t of the next layer
  // reads, and nothing else.
  Kernel l1 = noop_kernel("l1", {Out("y", DType::f32, 1)});
  Kernel l2 = noop_kernel("l2", {In("x", DType::f32, 1)});
  TensorRef Y = tensor("Y", DType::f32, 1);
  Workload w = combine({
      parallel_for(Dense(4), "t",
                   [&](Var t) { return task(l1, {t}, {Y.slice(t * 8, t * 8 + 8)}); }),
      parallel_for(Dense(2), "t",
                   [&](Var t) { return task(l2, {t}, {Y.slice(t * 16, t * 16 + 16)}); }),
  });
  Plan plan = lower(w);
  Bindings values;
  values.set_tensor("Y", Tensor::zeros(DType::f32, {32}));
  std::vector<TaskInstance> tasks = enumerate_tasks(plan, bind(plan, values));
  ASSERT_EQ(tasks.size(), 6u);
  for (int w1 = 0; w1 < 4; ++w1) {
    for (int r2 = 0; r2 < 2; ++r2) {
      EXPECT_EQ(tasks[w1].tensors[0].overlaps(tasks[4 + r2].tensors[0]), w1 / 2 == r2)
          << w1 << " vs " << r2;
    }
  }
}

}  // namespace
}  // namespace pto::wsp
