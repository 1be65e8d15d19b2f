// The SIMD positional kernels against their scalar references: every shape class (head_dim
// and rotary_dim not multiples of the vector width, partial rotary, odd head counts, offsets,
// in place), on 1 and on 2 threads, on every SIMD target the CPU runs. They do the same float
// operations in the same order, so the results must be bit-identical, not just close. Outputs larger than the last-level cache
// take another path (streaming stores, when the output is aligned for them): the tests lower
// that threshold to run it on small tensors, aligned and not.
#include <gtest/gtest.h>
#include <hwy/targets.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "kernels/memory_traffic.hpp"  // set_streaming_store_threshold
#include "posemb/core/aligned_allocator.hpp"
#include "posemb/kernels/matmul.hpp"  // set_kernel_threads
#include "posemb/kernels/position_rows.hpp"
#include "posemb/kernels/relative_bias.hpp"
#include "posemb/kernels/rope.hpp"

namespace posemb::kernels {
namespace {

std::vector<float> random_values(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(-2.0f, 2.0f);
  std::vector<float> v(n);
  for (float& x : v) x = uniform(rng);
  return v;
}

bool bit_identical(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// Each test runs on 1 and 2 threads, and on every SIMD target that is compiled in and that
// this CPU runs (AVX3, AVX2, SSE4, SSSE3 on a Zen 4 machine), not only the one dynamic
// dispatch picks: each target has its own instructions, vector width, tails and lane permutations.
struct KernelRun {
  int threads = 1;
  std::int64_t target = 0;
};

void PrintTo(const KernelRun& run, std::ostream* os) {
  *os << hwy::TargetName(run.target) << ", " << run.threads << " threads";
}

std::vector<KernelRun> every_thread_count_and_target() {
  std::vector<KernelRun> runs;
  for (const std::int64_t target : hwy::SupportedAndGeneratedTargets())
    for (const int threads : {1, 2}) runs.push_back({threads, target});
  return runs;
}

std::string run_name(const ::testing::TestParamInfo<KernelRun>& info) {
  return std::string(hwy::TargetName(info.param.target)) + "_" + std::to_string(info.param.threads) + "threads";
}

// Sets the thread count and the SIMD target for a test, and restores both after it.
class ThreadCount : public ::testing::TestWithParam<KernelRun> {
 protected:
  void SetUp() override {
    saved_ = kernel_threads();
    set_kernel_threads(GetParam().threads);
    hwy::SetSupportedTargetsForTest(GetParam().target);
  }
  void TearDown() override {
    hwy::SetSupportedTargetsForTest(0);  // back to what the CPU supports
    set_kernel_threads(saved_);
  }

 private:
  int saved_ = 1;
};

struct RopeShape {
  Index tokens, heads, head_dim, rotary_begin, rotary_dim;
};

using RopeFastVsReference = ThreadCount;

TEST_P(RopeFastVsReference, EveryPairingDirectionAndShapeIsBitIdentical) {
  const std::vector<RopeShape> shapes{
      {1, 1, 2, 0, 2},     {3, 2, 10, 2, 6},     {5, 3, 16, 0, 16},    {7, 1, 18, 0, 18},  {4, 5, 64, 0, 32},
      {9, 4, 128, 0, 128}, {2, 7, 96, 0, 96},    {6, 2, 80, 0, 40},    {1, 1, 34, 4, 30},
      {600, 32, 128, 0, 128},  // large enough to be split over the threads
      {300, 8, 256, 64, 64},
      {3, 2, 1040, 8, 1030},  // interleaved lane tables in pieces (rotary spans over 512 channels)
  };
  const Index cache_positions = 50;
  for (const auto& sh : shapes) {
    const Index half = sh.rotary_dim / 2;
    const auto cos = random_values(static_cast<std::size_t>(cache_positions * half), 11);
    const auto sin = random_values(static_cast<std::size_t>(cache_positions * half), 12);
    std::vector<Index> positions(static_cast<std::size_t>(sh.tokens));
    for (Index t = 0; t < sh.tokens; ++t) positions[static_cast<std::size_t>(t)] = (t * 7 + 3) % cache_positions;
    const auto x = random_values(static_cast<std::size_t>(sh.tokens * sh.heads * sh.head_dim), 13);
    for (const RopePairing pairing : {RopePairing::kHalves, RopePairing::kInterleaved})
      for (const RotationDirection direction : {RotationDirection::kForward, RotationDirection::kInverse}) {
        const RopeLayout layout{sh.tokens, sh.heads, sh.head_dim, sh.rotary_begin, sh.rotary_dim, pairing};
        std::vector<float> expected(x.size(), -1.0f), got(x.size(), -2.0f);
        rope_reference(x.data(), expected.data(), layout, positions.data(), cos.data(), sin.data(), direction);
        rope_apply(x.data(), got.data(), layout, positions.data(), cos.data(), sin.data(), direction);
        EXPECT_TRUE(bit_identical(got, expected))
            << "out of place: tokens " << sh.tokens << ", heads " << sh.heads << ", head_dim " << sh.head_dim
            << ", rotary [" << sh.rotary_begin << ", +" << sh.rotary_dim << "), pairing " << int(pairing);
        std::vector<float> in_place = x;
        rope_apply(in_place.data(), in_place.data(), layout, positions.data(), cos.data(), sin.data(), direction);
        EXPECT_TRUE(bit_identical(in_place, expected)) << "in place: head_dim " << sh.head_dim;
      }
  }
}

// A batch of sequences sharing one positions array (positions_per_sequence) rotates as the same
// tokens with the positions written out per token, in both the reference and the fast kernel.
TEST_P(RopeFastVsReference, SequencesSharingPositionsEqualPerTokenPositions) {
  const Index cache_positions = 40, heads = 4, head_dim = 24, half = head_dim / 2;
  const auto cos = random_values(static_cast<std::size_t>(cache_positions * half), 14);
  const auto sin = random_values(static_cast<std::size_t>(cache_positions * half), 15);
  for (const Index batch : {1, 3, 200})
    for (const Index seq : {1, 5}) {
      std::vector<Index> shared(static_cast<std::size_t>(seq)), per_token;
      for (Index s = 0; s < seq; ++s) shared[static_cast<std::size_t>(s)] = (s * 9 + 6) % cache_positions;
      for (Index b = 0; b < batch; ++b) per_token.insert(per_token.end(), shared.begin(), shared.end());
      const auto x = random_values(static_cast<std::size_t>(batch * seq * heads * head_dim), 16);
      for (const RopePairing pairing : {RopePairing::kHalves, RopePairing::kInterleaved}) {
        RopeLayout layout{batch * seq, heads, head_dim, 0, head_dim, pairing};
        std::vector<float> expected(x.size()), reference(x.size()), got(x.size());
        rope_reference(x.data(), expected.data(), layout, per_token.data(), cos.data(), sin.data(),
                       RotationDirection::kForward);
        layout.positions_per_sequence = seq;
        rope_reference(x.data(), reference.data(), layout, shared.data(), cos.data(), sin.data(),
                       RotationDirection::kForward);
        rope_apply(x.data(), got.data(), layout, shared.data(), cos.data(), sin.data(), RotationDirection::kForward);
        EXPECT_TRUE(bit_identical(reference, expected)) << "reference: batch " << batch << ", seq " << seq;
        EXPECT_TRUE(bit_identical(got, expected)) << "fast: batch " << batch << ", seq " << seq;
        // Null positions: token s of each sequence at position s, the tables starting at the row
        // of shared[0] = 6 when the positions are consecutive from there.
        if (seq == 1) {
          std::vector<float> from_row(x.size());
          rope_apply(x.data(), from_row.data(), layout, nullptr, cos.data() + shared[0] * half,
                     sin.data() + shared[0] * half, RotationDirection::kForward);
          EXPECT_TRUE(bit_identical(from_row, expected)) << "null positions: batch " << batch;
        }
      }
    }
}

using PositionRowsFastVsReference = ThreadCount;

TEST_P(PositionRowsFastVsReference, AnyWidthInAndOutOfPlace) {
  for (const Index dim : {1, 3, 8, 17, 64, 768}) {
    for (const Index tokens : {1, 5, 200}) {
      const Index rows = 40;
      const auto table = random_values(static_cast<std::size_t>(rows * dim), 21);
      const auto x = random_values(static_cast<std::size_t>(tokens * dim), 22);
      std::vector<Index> positions(static_cast<std::size_t>(tokens));
      for (Index t = 0; t < tokens; ++t) positions[static_cast<std::size_t>(t)] = (t * 13 + 1) % rows;
      std::vector<float> expected(x.size()), got(x.size());
      add_position_rows_reference(x.data(), expected.data(), tokens, dim, table.data(), positions.data());
      add_position_rows(x.data(), got.data(), tokens, dim, table.data(), positions.data());
      EXPECT_TRUE(bit_identical(got, expected)) << "dim " << dim << ", tokens " << tokens;
      std::vector<float> in_place = x;
      add_position_rows(in_place.data(), in_place.data(), tokens, dim, table.data(), positions.data());
      EXPECT_TRUE(bit_identical(in_place, expected)) << "in place, dim " << dim;
    }
  }
}

// Batches: each table row is added to 2 sequences at a time, then to the one left in an odd
// count. On 2 threads the batch's tokens are split in two contiguous halves: between sequences
// ({6, 200, 66} at the start of the fourth), or inside one ({3, 301, 128} at token 150 of the
// second sequence; {7, 130, 80} at token 65 of the fourth, so that each thread adds some
// positions to 4 sequences and the others to 3; {1, 600, 128} inside the only one).
TEST_P(PositionRowsFastVsReference, BatchesShareTheRows) {
  struct Shape {
    Index batch, seq, dim;
  };
  for (const Shape sh : {Shape{1, 7, 24}, Shape{3, 5, 17}, Shape{4, 300, 256}, Shape{2, 9, 40000}, Shape{3, 1, 8},
                         Shape{3, 301, 128}, Shape{1, 600, 128}, Shape{5, 3, 8}, Shape{6, 200, 66},
                         Shape{7, 130, 80}}) {
    const Index rows = sh.seq + 3;
    const auto table = random_values(static_cast<std::size_t>(rows * sh.dim), 23);
    const auto x = random_values(static_cast<std::size_t>(sh.batch * sh.seq * sh.dim), 24);
    std::vector<Index> positions(static_cast<std::size_t>(sh.seq));
    for (Index t = 0; t < sh.seq; ++t) positions[static_cast<std::size_t>(t)] = (t * 7 + 2) % rows;
    std::vector<float> expected(x.size()), got(x.size(), -3.0f);
    add_position_rows_to_batch_reference(x.data(), expected.data(), sh.batch, sh.seq, sh.dim, table.data(),
                                         positions.data());
    add_position_rows_to_batch(x.data(), got.data(), sh.batch, sh.seq, sh.dim, table.data(), positions.data());
    EXPECT_TRUE(bit_identical(got, expected)) << "batch " << sh.batch << ", seq " << sh.seq << ", dim " << sh.dim;
    std::vector<float> in_place = x;
    add_position_rows_to_batch(in_place.data(), in_place.data(), sh.batch, sh.seq, sh.dim, table.data(),
                               positions.data());
    EXPECT_TRUE(bit_identical(in_place, expected)) << "in place, batch " << sh.batch << ", dim " << sh.dim;
    // The reference is the batch-1 kernel applied to each sequence.
    for (Index b = 0; b < sh.batch; ++b) {
      const auto at = static_cast<std::size_t>(b * sh.seq * sh.dim);
      std::vector<float> one(static_cast<std::size_t>(sh.seq * sh.dim));
      add_position_rows_reference(x.data() + at, one.data(), sh.seq, sh.dim, table.data(), positions.data());
      EXPECT_EQ(std::memcmp(one.data(), expected.data() + at, one.size() * sizeof(float)), 0) << "sequence " << b;
    }
  }
}

// Null positions mean token t (of each sequence) takes table row t, as the identity array would.
TEST_P(PositionRowsFastVsReference, NullPositionsAreTheIdentity) {
  const Index batch = 3, seq = 70, dim = 600;
  const auto table = random_values(static_cast<std::size_t>(seq * dim), 25);
  const auto x = random_values(static_cast<std::size_t>(batch * seq * dim), 26);
  std::vector<Index> identity(static_cast<std::size_t>(seq));
  for (Index t = 0; t < seq; ++t) identity[static_cast<std::size_t>(t)] = t;
  std::vector<float> expected(x.size()), got(x.size()), reference(x.size());
  add_position_rows_to_batch_reference(x.data(), expected.data(), batch, seq, dim, table.data(), identity.data());
  add_position_rows_to_batch_reference(x.data(), reference.data(), batch, seq, dim, table.data(), nullptr);
  add_position_rows_to_batch(x.data(), got.data(), batch, seq, dim, table.data(), nullptr);
  EXPECT_TRUE(bit_identical(reference, expected));
  EXPECT_TRUE(bit_identical(got, expected));
  std::vector<float> grad_identity(table.size(), 0.0f), grad_null(table.size(), 0.0f);
  add_position_rows_backward_table_reference(x.data(), grad_identity.data(), seq, dim, identity.data());
  add_position_rows_backward_table_reference(x.data(), grad_null.data(), seq, dim, nullptr);
  EXPECT_TRUE(bit_identical(grad_null, grad_identity));
}

using RelativeBiasFastVsReference = ThreadCount;

TEST_P(RelativeBiasFastVsReference, BlocksAtOffsetsAndOddSizes) {
  const std::vector<ScoreBlock> blocks{
      {1, 1, 1, 0, 0}, {3, 5, 7, 0, 0}, {2, 9, 33, 30, 4}, {12, 17, 17, 0, 0}, {32, 64, 300, 200, 0},
      {4, 1, 1000, 999, 0},  // one query at a KV-cache offset
  };
  for (const auto& block : blocks) {
    const DistanceRange range = relative_distance_range(block);
    const auto bias = random_values(static_cast<std::size_t>(block.heads * range.count), 31);
    const auto scores = random_values(static_cast<std::size_t>(block.heads * block.q_len * block.k_len), 32);
    std::vector<float> expected = scores, got = scores;
    add_relative_bias_reference(expected.data(), block, bias.data(), range.count, range.min_distance);
    add_relative_bias(got.data(), block, bias.data(), range.count, range.min_distance);
    EXPECT_TRUE(bit_identical(got, expected))
        << "heads " << block.heads << ", q_len " << block.q_len << ", k_len " << block.k_len;
  }
}

// Streaming stores write whole aligned vectors: run every kernel with the threshold at zero,
// on outputs that are aligned (the streaming path), one float off (the fallback, which
// prefetches as for data larger than the cache) and in place (prefetching too).
class StreamingStores : public ThreadCount {
 protected:
  void SetUp() override {
    ThreadCount::SetUp();
    set_streaming_store_threshold(0);
  }
  void TearDown() override {
    set_streaming_store_threshold(-1);
    ThreadCount::TearDown();
  }
};

using AlignedFloats = std::vector<float, AlignedAllocator<float>>;

TEST_P(StreamingStores, RopeIsBitIdenticalAlignedOrNot) {
  const std::vector<RopeShape> shapes{
      {5, 4, 128, 0, 128}, {3, 2, 64, 16, 32}, {4, 3, 18, 0, 18}, {2, 2, 1040, 16, 1024}, {300, 8, 128, 0, 64}};
  const Index cache_positions = 40;
  for (const auto& sh : shapes)
    for (const std::size_t misalign : {std::size_t{0}, std::size_t{1}}) {
      const Index half = sh.rotary_dim / 2;
      const auto cos = random_values(static_cast<std::size_t>(cache_positions * half), 41);
      const auto sin = random_values(static_cast<std::size_t>(cache_positions * half), 42);
      std::vector<Index> positions(static_cast<std::size_t>(sh.tokens));
      for (Index t = 0; t < sh.tokens; ++t) positions[static_cast<std::size_t>(t)] = (t * 5 + 2) % cache_positions;
      const auto x = random_values(static_cast<std::size_t>(sh.tokens * sh.heads * sh.head_dim), 43);
      for (const RopePairing pairing : {RopePairing::kHalves, RopePairing::kInterleaved})
        for (const RotationDirection direction : {RotationDirection::kForward, RotationDirection::kInverse}) {
          const RopeLayout layout{sh.tokens, sh.heads, sh.head_dim, sh.rotary_begin, sh.rotary_dim, pairing};
          std::vector<float> expected(x.size());
          rope_reference(x.data(), expected.data(), layout, positions.data(), cos.data(), sin.data(), direction);
          AlignedFloats out(x.size() + misalign, -3.0f);
          rope_apply(x.data(), out.data() + misalign, layout, positions.data(), cos.data(), sin.data(), direction);
          const std::vector<float> got(out.begin() + static_cast<std::ptrdiff_t>(misalign), out.end());
          EXPECT_TRUE(bit_identical(got, expected))
              << "misaligned by " << misalign << ": head_dim " << sh.head_dim << ", rotary [" << sh.rotary_begin
              << ", +" << sh.rotary_dim << "), pairing " << int(pairing);
          AlignedFloats in_place(x.begin(), x.end());
          rope_apply(in_place.data(), in_place.data(), layout, positions.data(), cos.data(), sin.data(), direction);
          EXPECT_TRUE(bit_identical(std::vector<float>(in_place.begin(), in_place.end()), expected))
              << "in place: head_dim " << sh.head_dim << ", pairing " << int(pairing);
        }
    }
}

TEST_P(StreamingStores, PositionRowsAreBitIdenticalAlignedOrNot) {
  for (const Index dim : {16, 24, 768, 17})
    for (const std::size_t misalign : {std::size_t{0}, std::size_t{1}}) {
      const Index tokens = 150, rows = 30;
      const auto table = random_values(static_cast<std::size_t>(rows * dim), 51);
      const auto x = random_values(static_cast<std::size_t>(tokens * dim), 52);
      std::vector<Index> positions(static_cast<std::size_t>(tokens));
      for (Index t = 0; t < tokens; ++t) positions[static_cast<std::size_t>(t)] = (t * 11 + 4) % rows;
      std::vector<float> expected(x.size());
      add_position_rows_reference(x.data(), expected.data(), tokens, dim, table.data(), positions.data());
      AlignedFloats out(x.size() + misalign, -3.0f);
      add_position_rows(x.data(), out.data() + misalign, tokens, dim, table.data(), positions.data());
      const std::vector<float> got(out.begin() + static_cast<std::ptrdiff_t>(misalign), out.end());
      EXPECT_TRUE(bit_identical(got, expected)) << "dim " << dim << ", misaligned by " << misalign;
      // A batch of 3 sharing the rows (positions [seq]; each row added to the 3 sequences in turn).
      const Index batch = 3, seq = tokens / batch;
      std::vector<float> expected_batch(x.size());
      add_position_rows_to_batch_reference(x.data(), expected_batch.data(), batch, seq, dim, table.data(),
                                           positions.data());
      AlignedFloats out_batch(x.size() + misalign, -3.0f);
      add_position_rows_to_batch(x.data(), out_batch.data() + misalign, batch, seq, dim, table.data(),
                                 positions.data());
      const std::vector<float> got_batch(out_batch.begin() + static_cast<std::ptrdiff_t>(misalign), out_batch.end());
      EXPECT_TRUE(bit_identical(got_batch, expected_batch)) << "batch: dim " << dim << ", misaligned by " << misalign;
      AlignedFloats in_place(x.begin(), x.end());
      add_position_rows_to_batch(in_place.data(), in_place.data(), batch, seq, dim, table.data(), positions.data());
      EXPECT_TRUE(bit_identical(std::vector<float>(in_place.begin(), in_place.end()), expected_batch))
          << "batch in place: dim " << dim;
    }
}

INSTANTIATE_TEST_SUITE_P(Runs, StreamingStores, ::testing::ValuesIn(every_thread_count_and_target()), run_name);
INSTANTIATE_TEST_SUITE_P(Runs, RopeFastVsReference, ::testing::ValuesIn(every_thread_count_and_target()), run_name);
INSTANTIATE_TEST_SUITE_P(Runs, PositionRowsFastVsReference, ::testing::ValuesIn(every_thread_count_and_target()),
                         run_name);
INSTANTIATE_TEST_SUITE_P(Runs, RelativeBiasFastVsReference, ::testing::ValuesIn(every_thread_count_and_target()),
                         run_name);

}  // namespace
}  // namespace posemb::kernels
