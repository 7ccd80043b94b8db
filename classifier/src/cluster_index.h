#pragma once
// Private to the clusterer: the LSH index of the reports of the window.
//
// Members live in chunks of 256 (structure of arrays: signature, cluster, time and one link
// per band), numbered by a sequence number; the oldest leave from the front as the window moves.
// Each of the 8 bands has a table of bucket heads sized to the population (rebuilt to 3 members
// per bucket whenever that leaves 2-4); a member's link of band b points back to the previous
// member of its bucket. Heads and links are 32-bit words: an 8-bit tag of the band key (never 0)
// and 24 bits of the sequence number (heads) or of the distance back (links), so a walk skips
// members of other band keys without touching them, and only members whose tag matches are
// compared. Memory per member: 32 (signature) + 8 (cluster) + 8 (time) + 8 x 4 (links) = 80 bytes,
// plus 8 x 4 bytes per bucket (8-16 bytes per member), and at most one partly filled chunk. Limit:
// members more than 2^24 (16.7 million) sequence numbers back are not found.
//
// Thread safety: none (the clusterer holds its lock).

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "classifier/clusters.h"

namespace sakchy::classifier::internal {

class ClusterIndex {
 public:
  static constexpr int kMaxChainScan = 64;  // per band: a storm of identical reports stays O(1)

  struct Match {
    ClusterId cluster = 0;
    int matching = -1;  // of 16
    TimeMs time = 0;
  };

  // The best indexed member with >= min_matching equal values and time >= not_before (most
  // equal values, then newest); cluster 0 when none.
  Match Best(const MinHashSignature& sig, int min_matching, TimeMs not_before) const;
  void Insert(const MinHashSignature& sig, ClusterId cluster, TimeMs time);
  // Drops members from the front while they are older than `before`.
  void DropOlderThan(TimeMs before);
  // Drops the oldest members until at most `max_members` are left.
  void KeepNewest(std::size_t max_members);

  std::size_t size() const { return static_cast<std::size_t>(next_seq_ - first_seq_); }
  std::size_t bytes() const;

 private:
  static constexpr int kBands = kMinHashBands;
  static constexpr int kChunkBits = 8;
  static constexpr std::uint64_t kChunk = std::uint64_t{1} << kChunkBits;
  static constexpr std::uint32_t kSeqMask = (1u << 24) - 1;
  static constexpr std::size_t kMinBuckets = 256;

  struct Chunk {
    std::array<MinHashSignature, kChunk> sig;
    std::array<ClusterId, kChunk> cluster;
    std::array<TimeMs, kChunk> time;
    std::array<std::array<std::uint32_t, kChunk>, kBands> link;
  };

  struct Slot {  // where a band key goes
    std::uint32_t bucket;
    std::uint32_t tag;  // 1..255
  };
  Slot SlotOf(const MinHashSignature& sig, int band) const;
  // The sequence number a 24-bit head refers to (only meaningful when >= first_seq_).
  std::uint64_t SeqOf(std::uint32_t head24) const;
  Chunk& ChunkOf(std::uint64_t seq) const { return *chunks_[(seq >> kChunkBits) - first_chunk_]; }
  static std::size_t Pos(std::uint64_t seq) { return seq & (kChunk - 1); }
  // Links member `seq` into the heads of its buckets.
  void Thread(std::uint64_t seq);
  // Resizes the head tables to `buckets` and re-threads every member.
  void Rehash(std::size_t buckets);
  // Frees the chunks wholly before first_seq_ and shrinks the bucket tables when sparse.
  void ReleaseDropped();

  std::deque<std::unique_ptr<Chunk>> chunks_;
  std::uint64_t first_chunk_ = 0;  // chunk number of chunks_.front()
  std::uint64_t first_seq_ = 0;    // oldest member
  std::uint64_t next_seq_ = 0;
  std::size_t buckets_ = 0;  // per band
  std::array<std::vector<std::uint32_t>, kBands> heads_{};

 public:
  ClusterIndex() { Rehash(kMinBuckets); }
};

}  // namespace sakchy::classifier::internal
