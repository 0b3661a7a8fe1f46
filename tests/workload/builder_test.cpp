// The builder: node constructors, workload type strings and tree dumps.
#include <gtest/gtest.h>

#include "support/expect_error.hpp"
#include "workload/fixtures.hpp"

namespace pto::wsp {
namespace {

using testing::noop_kernel;

TEST(WorkloadType, IndependentGridPrintsAxesKernelAndDependencies) {
  Kernel attn = noop_kernel("attn", {In("Q", DType::f32, 1), Out("O", DType::f32, 1)});
  TensorRef Q = tensor("Q", DType::f32, 3), O = tensor("O", DType::f32, 3);
  Workload w = parallel_for(DenseDyn("batch"), "b", [&](Var b) {
    return parallel_for(Dense<8>(), "h", [&](Var h) {
      return task(attn, {b, h}, {{"Q", Q[b][h]}, {"O", O[b][h]}});
    });
  });
  EXPECT_EQ(w.type_string(), "Workload[DenseDyn × Dense[8], attn, Independent]");
  EXPECT_EQ(w.tree_string(),
            "parallel_for b in DenseDyn(batch)\n"
            "  parallel_for h in Dense[8]\n"
            "    task attn[b, h](Q=Q[b][h], O=O[b][h])\n");
}

TEST(WorkloadType, ListsEveryKernelAndEveryStructuralDependencyKind) {
  Kernel a = noop_kernel("a", {}), b = noop_kernel("b", {});
  Workload w = sequential({
      for_each(Dense(4), "i", [&](Var i) { return task(a, {i}, {}); }),
      combine({task(b, {}, {}), cond(symbol("flag"), task(a, {}, {}))}),
  });
  EXPECT_EQ(w.type_string(), "Workload[a|b, Sequential+Barrier+Combined+Conditional]");
  EXPECT_EQ(w.tree_string(),
            "sequential\n"
            "  for_each i in Dense[4]\n"
            "    task a[i]()\n"
            "  combine\n"
            "    task b[]()\n"
            "    cond flag\n"
            "      task a[]()\n");
}

TEST(WorkloadType, RaggedAndSparseAxesPrintTheirTables) {
  Kernel k = noop_kernel("k", {Scalar("x")});
  Axis kv = Ragged(symbol("batch"), "kv_tiles");
  Axis experts = Sparse(8, "indptr", "tokens");
  Workload w = combine({
      parallel_for(kv, "r", "t",
                   [&](Var r, Var t) {
                     return task(k, {r, t}, {r + t});
                   }),
      parallel_for(Dense(8), "e",
                   [&](Var e) {
                     return select(row(experts, e), "tok", [&](Var tok) {
                       return task(k, {e, tok}, {tok});
                     });
                   }),
  });
  EXPECT_EQ(w.type_string(), "Workload[k, Combined]");
  EXPECT_EQ(w.tree_string(),
            "combine\n"
            "  parallel_for r, t in Ragged(batch, lengths=kv_tiles)\n"
            "    task k[r, t]((r + t))\n"
            "  parallel_for e in Dense[8]\n"
            "    select tok in Sparse(8, indptr=indptr, indices=tokens).row(e)\n"
            "      task k[e, tok](tok)\n");
}

TEST(WorkloadType, CondWithElsePrintsBothBranches) {
  Kernel small = noop_kernel("small", {}), large = noop_kernel("large", {});
  ArrayRef len = array("len");
  Workload w = parallel_for(DenseDyn(symbol("n")), "b", [&](Var b) {
    return cond(len[b] <= 1024, task(small, {b}, {}), task(large, {b}, {}));
  });
  EXPECT_EQ(w.type_string(), "Workload[DenseDyn, small|large, Conditional]");
  EXPECT_EQ(w.tree_string(),
            "parallel_for b in DenseDyn(n)\n"
            "  cond (len[b] <= 1024)\n"
            "    task small[b]()\n"
            "  else\n"
            "    task large[b]()\n");
}

TEST(WorkloadBuilder, SubWorkloadsAreSharedNotCopied) {
  Kernel a = noop_kernel("a", {});
  Workload leaf = task(a, {}, {});
  Workload w = combine({leaf, leaf});
  const auto& c = std::get<CombineNode>(w.root().data);
  EXPECT_EQ(c.children[0].get(), c.children[1].get());
  EXPECT_EQ(c.children[0].get(), leaf.root_ptr().get());
}

TEST(WorkloadBuilder, RejectsMalformedNodesWhenBuilt) {
  Kernel a = noop_kernel("a", {Scalar("x"), Scalar("y")});
  EXPECT_THROW_MSG(combine({}), CompileError, "combine: needs at least one workload");
  EXPECT_THROW_MSG(sequential({}), CompileError, "sequential: needs at least one workload");
  EXPECT_THROW_MSG(Dense(-3), CompileError, "Dense(-3): the size must be >= 0");
  EXPECT_THROW_MSG(select(Dense(4), "i",
                          [&](Var i) {
                            return task(a, {i}, {i, i});
                          }),
                   CompileError, "select iterates a Sparse axis or row, not a Dense[4] axis");
  EXPECT_THROW_MSG(row(Dense(4), 0), CompileError, "only Ragged and Sparse axes have rows");
  EXPECT_THROW_MSG(task(a, {}, {{"x", 1}, 2}), CompileError,
                   "task a: positional argument 1 (2) follows a named argument");
  EXPECT_THROW_MSG(make_loop(LoopKind::Parallel, Ragged(4, "len"), {Var("i")}, task(a, {}, {1, 2})),
                   CompileError, "the body takes 1 variable(s) but the domain binds 2");
  EXPECT_THROW_MSG(Sparse(4, "t", "t"), CompileError, "indptr and indices are the same array 't'");
  EXPECT_THROW_MSG(tensor("Q", DType::f32, 9), CompileError, "rank 9 is outside [0, 8]");
  EXPECT_THROW_MSG(tensor("Q", DType::f32, 2)[0][1][2], CompileError,
                   "select on dimension 0 but the view has rank 0");
  EXPECT_THROW_MSG(tensor("Q", DType::f32, 2).slice(1, 0, 4, 0), CompileError,
                   "slice step 0 must be positive");
  EXPECT_THROW_MSG(make_kernel("k", {In("a"), Out("a")}, [](const TaskArgs&) {}), CompileError,
                   "kernel 'k': parameter 'a' is declared twice");
  EXPECT_THROW_MSG(make_kernel("k", {}, nullptr), CompileError,
                   "kernel 'k': no implementation given");
}

TEST(TensorRef, PrintsSelectsAndSlices) {
  TensorRef K = tensor("K", DType::f16, 3);
  Var b("b"), t("t");
  EXPECT_EQ(K[b].slice(t * 64, t * 64 + 64).to_string(), "K[b].slice((t * 64), ((t * 64) + 64))");
  EXPECT_EQ(K.select(2, 1).slice(1, 0, 8, 2).to_string(), "K.select(2, 1).slice(1, 0, 8, 2)");
  EXPECT_EQ(K[b].rank(), 2);
  EXPECT_EQ(K.select(2, 1).slice(1, 0, 8, 2).rank(), 2);
}

TEST(KernelSignature, PrintsParametersWithKindsAndTypes) {
  Kernel k =
      noop_kernel("attn", {In("Q", DType::f32, 2), InOut("acc"), Scalar("scale", DType::f32)});
  EXPECT_EQ(k.signature().to_string(),
            "attn(In Q: f32[rank 2], InOut acc: any, Scalar scale: f32)");
  EXPECT_EQ(k.signature().find("acc"), 1);
  EXPECT_EQ(k.signature().find("nope"), -1);
}

TEST(KernelRegistry, FindsByNameAndRejectsDuplicates) {
  KernelRegistry r;
  r.add(noop_kernel("a", {}));
  r.add(noop_kernel("b", {}));
  ASSERT_NE(r.find("a"), nullptr);
  EXPECT_EQ(r.find("a")->name(), "a");
  EXPECT_EQ(r.find("c"), nullptr);
  EXPECT_THROW_MSG(r.add(noop_kernel("a", {})), CompileError,
                   "a kernel named 'a' is already registered");
  EXPECT_EQ(r.names(), (std::vector<std::string>{"a", "b"}));
}

}  // namespace
}  // namespace pto::wsp
