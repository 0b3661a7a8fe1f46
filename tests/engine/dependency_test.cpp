// Dependencies as the cpu backend enforces them, read back from the task log: data conflicts of
// each kind (including partial and strided overlaps), structural order, and combine overlapping
// where sequential waits.
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "support/expect_error.hpp"
#include "workload/fixtures.hpp"

namespace pto::wsp {
namespace {

// A kernel that sleeps `us` microseconds, so that a missing dependency would show up as overlap.
Kernel sleeper(const char* name, std::vector<ParamSpec> params) {
  params.push_back(Scalar("us"));
  return make_kernel(name, std::move(params), [](const TaskArgs& a) {
    std::this_thread::sleep_for(std::chrono::microseconds(a.scalar("us").i));
  });
}

std::vector<TaskEvent> run_logged(const Workload& w, const Bindings& b, int threads = 4) {
  CompileOptions o;
  o.threads = threads;
  o.record_tasks = true;
  Program p = compile(w, o);
  p.execute(b);
  p.synchronize();
  return p.task_log();
}

bool has_dep(const TaskEvent& e, std::uint64_t id) {
  return std::find(e.deps.begin(), e.deps.end(), id) != e.deps.end();
}

class Dependencies : public ::testing::Test {
 protected:
  Kernel rd = sleeper("rd", {In("x", DType::f32, 1)});
  Kernel wr = sleeper("wr", {Out("x", DType::f32, 1)});
  Kernel rw = sleeper("rw", {InOut("x", DType::f32, 1)});
  TensorRef X = tensor("X", DType::f32, 1);
  Bindings values() {
    Bindings b;
    b.set_tensor("X", Tensor::zeros(DType::f32, {32}));
    return b;
  }
};

TEST_F(Dependencies, ReadAfterWriteWaitsForTheWriter) {
  auto log = run_logged(
      combine({task(wr, {}, {X.slice(0, 8), 20000}), task(rd, {}, {X.slice(4, 12), 0})}), values());
  ASSERT_EQ(log.size(), 2u);
  EXPECT_TRUE(has_dep(log[1], 0));
  EXPECT_GE(log[1].start_ns, log[0].end_ns);
  // Timestamps are ordered: generated, ready (after the writer ended), started.
  EXPECT_GE(log[1].ready_ns, log[0].end_ns);
  EXPECT_GE(log[1].start_ns, log[1].ready_ns);
  EXPECT_GE(log[0].ready_ns, log[0].gen_ns);
}

TEST_F(Dependencies, WriteAfterReadWaitsForTheReader) {
  auto log = run_logged(
      combine({task(rd, {}, {X.slice(0, 8), 20000}), task(wr, {}, {X.slice(7, 9), 0})}), values());
  EXPECT_TRUE(has_dep(log[1], 0));
  EXPECT_GE(log[1].start_ns, log[0].end_ns);
}

TEST_F(Dependencies, WriteAfterWriteKeepsProgramOrder) {
  auto log = run_logged(
      combine({task(wr, {}, {X.slice(0, 16), 20000}), task(rw, {}, {X.slice(15, 32), 0})}),
      values());
  EXPECT_TRUE(has_dep(log[1], 0));
  EXPECT_GE(log[1].start_ns, log[0].end_ns);
}

TEST_F(Dependencies, ReadsOfTheSameRegionDoNotWaitForEachOther) {
  auto log = run_logged(
      combine({task(rd, {}, {X.slice(0, 8), 30000}), task(rd, {}, {X.slice(0, 8), 30000})}),
      values());
  EXPECT_TRUE(log[1].deps.empty());
  EXPECT_LT(log[1].start_ns, log[0].end_ns);  // they ran side by side
}

TEST_F(Dependencies, DisjointRangesRunSideBySide) {
  auto log = run_logged(
      combine({task(wr, {}, {X.slice(0, 8), 30000}), task(wr, {}, {X.slice(8, 16), 30000})}),
      values());
  EXPECT_TRUE(log[1].deps.empty());
  EXPECT_LT(log[1].start_ns, log[0].end_ns);
}

TEST_F(Dependencies, StridedViewsConflictOnlyWhenTheyShareAnElement) {
  TensorRef M = tensor("M", DType::f32, 2);
  Kernel wr2 = sleeper("wr2", {Out("x", DType::f32, 2)});
  Kernel rd2 = sleeper("rd2", {In("x", DType::f32, 2)});
  Workload w = combine({
      task(wr2, {}, {M.slice(1, 0, 8, 2), 30000}),                // even columns
      task(rd2, {}, {M.slice(1, 1, 8, 2), 0}),                    // odd columns: disjoint
      task(rd2, {}, {M.slice(1, 3, 8, 3), 0}),                    // columns 3, 6: shares column 6
      task(rd2, {}, {M.slice(1, 3, 4, 1).slice(0, 2, 4, 1), 0}),  // column 3 only: disjoint
  });
  Bindings b;
  b.set_tensor("M", Tensor::zeros(DType::f32, {4, 8}));
  auto log = run_logged(w, b);
  EXPECT_TRUE(log[1].deps.empty());
  EXPECT_TRUE(has_dep(log[2], 0));
  EXPECT_GE(log[2].start_ns, log[0].end_ns);
  EXPECT_TRUE(log[3].deps.empty());
}

TEST_F(Dependencies, ViewsThroughTwoRootsOfOneBufferAreComparedByBytes) {
  TensorRef A = tensor("A", DType::f32, 1), B = tensor("B", DType::f32, 2);
  Workload w = combine({task(wr, {}, {A.slice(0, 4), 20000}),
                        task(sleeper("rd2", {In("x", DType::f32, 1)}), {}, {B[0], 0}),
                        task(sleeper("rd3", {In("x", DType::f32, 1)}), {}, {B[3], 0})});
  std::vector<float> buffer(16);
  Bindings b;
  b.set_tensor("A", Tensor::borrow(buffer.data(), {16}))
      .set_tensor("B", Tensor::borrow(buffer.data(), {4, 4}));
  auto log = run_logged(w, b);
  EXPECT_TRUE(has_dep(log[1], 0));   // B[0] is A[0:4]
  EXPECT_TRUE(log[2].deps.empty());  // B[3] is A[12:16]
}

TEST_F(Dependencies, ForEachBodiesRunInOrder) {
  Workload w = for_each(Dense(6), "i", [&](Var i) {
    return combine(
        {task(rd, {i}, {X.slice(i, i + 1), 2000}), task(rd, {i}, {X.slice(i + 8, i + 9), 2000})});
  });
  auto log = run_logged(w, values());
  ASSERT_EQ(log.size(), 12u);
  for (std::size_t k = 2; k < log.size(); ++k) {
    EXPECT_GE(log[k].start_ns, std::max(log[(k / 2) * 2 - 2].end_ns, log[(k / 2) * 2 - 1].end_ns))
        << "task " << k;
  }
}

TEST_F(Dependencies, SequentialIsABarrierWhileCombineOverlapsTileByTile) {
  // Layer 1 writes tiles 0 and 1 (tile 1 is slow); layer 2 reads tile 0 and tile 1.
  auto layers = [&](bool barrier) {
    Workload l1 = parallel_for(Dense(2), "t", [&](Var t) {
      return task(wr, {t}, {X.slice(t * 8, t * 8 + 8), select(t == 1, 60000, 0)});
    });
    Workload l2 = parallel_for(Dense(2), "t", [&](Var t) {
      return task(rd, {t}, {X.slice(t * 8, t * 8 + 8), 0});
    });
    return barrier ? sequential({l1, l2}) : combine({l1, l2});
  };
  auto combined = run_logged(layers(false), values());
  EXPECT_TRUE(has_dep(combined[2], 0));
  EXPECT_FALSE(has_dep(combined[2], 1));
  EXPECT_LT(combined[2].start_ns, combined[1].end_ns);  // tile 0 of layer 2 did not wait for tile 1
  EXPECT_GE(combined[3].start_ns, combined[1].end_ns);

  auto barrier = run_logged(layers(true), values());
  EXPECT_GE(barrier[2].start_ns, barrier[1].end_ns);
  EXPECT_GE(barrier[3].start_ns, barrier[1].end_ns);
}

TEST_F(Dependencies, SingleTaskBodiesOfAChainWaitForThePreviousTask) {
  // Bodies that are one task are tracked without a group: each waits for the task before it,
  // and the log lists that task among its dependencies.
  Workload w = sequential({task(rd, {}, {X.slice(0, 1), 3000}),
                           for_each(Dense(5), "i",
                                    [&](Var i) {
                                      return task(rd, {i}, {X.slice(i + 1, i + 2), 3000});
                                    }),
                           task(rd, {}, {X.slice(9, 10), 0})});
  auto log = run_logged(w, values());
  ASSERT_EQ(log.size(), 7u);
  for (std::size_t k = 1; k < log.size(); ++k) {
    EXPECT_GE(log[k].start_ns, log[k - 1].end_ns) << "task " << k;
  }
  for (std::size_t k = 2; k < 6; ++k) EXPECT_TRUE(has_dep(log[k], k - 1)) << "task " << k;
}

TEST_F(Dependencies, NestedChainsWaitForTheWholePreviousBody) {
  Workload w = for_each(Dense(3), "i", [&](Var i) {
    return sequential({for_each(Dense(2), "j",
                                [&](Var j) {
                                  return task(rd, {i, j}, {X.slice(j, j + 1), 1000});
                                }),
                       parallel_for(Dense(2), "k", [&](Var k) {
                         return task(rd, {i, k}, {X.slice(k, k + 1), 1000});
                       })});
  });
  auto log = run_logged(w, values());
  ASSERT_EQ(log.size(), 12u);
  // Every task of body i starts after every task of body i - 1 ended.
  for (std::size_t a = 4; a < 12; ++a) {
    for (std::size_t p = (a / 4 - 1) * 4; p < (a / 4) * 4; ++p) {
      EXPECT_GE(log[a].start_ns, log[p].end_ns) << a << " after " << p;
    }
  }
}

}  // namespace
}  // namespace pto::wsp
