#include "cluster_index.h"

#include <algorithm>

#include "clusters_internal.h"

namespace sakchy::classifier::internal {
namespace {

constexpr int kRows = kMinHashes / kMinHashBands;

bool SameBand(const MinHashSignature& a, const MinHashSignature& b, int band) {
  for (int r = 0; r < kRows; ++r) {
    if (a[band * kRows + r] != b[band * kRows + r]) return false;
  }
  return true;
}

}  // namespace

ClusterIndex::Slot ClusterIndex::SlotOf(const MinHashSignature& sig, int band) const {
  std::uint64_t key = static_cast<std::uint64_t>(band) << 32;
  for (int r = 0; r < kRows; ++r) key = (key << 16) | sig[band * kRows + r];
  const std::uint64_t h = Mix64(key);
  // Bucket from the high 32 bits (multiply-shift onto any table size), tag from the low 8.
  const auto bucket = static_cast<std::uint32_t>(((h >> 32) * buckets_) >> 32);
  const auto tag = static_cast<std::uint32_t>(h & 0xFF);
  return Slot{bucket, tag == 0 ? 1u : tag};
}

std::uint64_t ClusterIndex::SeqOf(std::uint32_t head24) const {
  std::uint64_t delta = (next_seq_ - head24) & kSeqMask;
  if (delta == 0) delta = kSeqMask + 1;
  return next_seq_ >= delta ? next_seq_ - delta : UINT64_MAX;
}

ClusterIndex::Match ClusterIndex::Best(const MinHashSignature& sig, int min_matching,
                                       TimeMs not_before) const {
  Match best;
  best.matching = min_matching - 1;
  for (int b = 0; b < kBands; ++b) {
    const Slot slot = SlotOf(sig, b);
    const std::uint32_t head = heads_[b][slot.bucket];
    if (head == 0) continue;
    std::uint32_t tag = head >> 24;
    std::uint64_t seq = SeqOf(head & kSeqMask);
    for (int scanned = 0; scanned < kMaxChainScan; ++scanned) {
      if (seq < first_seq_ || seq >= next_seq_) break;
      const Chunk& c = ChunkOf(seq);
      const std::size_t pos = Pos(seq);
      if (tag == slot.tag && SameBand(c.sig[pos], sig, b)) {
        const int d = MatchingHashes(c.sig[pos], sig);
        const TimeMs t = c.time[pos];
        if (d > best.matching || (d == best.matching && best.cluster != 0 && t > best.time)) {
          if (t >= not_before) best = Match{c.cluster[pos], d, t};
        }
        // An identical signature cannot be beaten: its members share every band's bucket, and
        // chains run newest first, so this is the newest of them. A flood of copies of one
        // rumour then costs one candidate instead of kMaxChainScan per band.
        if (best.matching == kMinHashes && best.cluster != 0) return best;
      }
      const std::uint32_t link = c.link[b][pos];
      const std::uint32_t back = link & kSeqMask;
      if (back == 0) break;
      tag = link >> 24;
      seq -= back;
    }
  }
  if (best.cluster == 0) best.matching = -1;
  return best;
}

void ClusterIndex::Thread(std::uint64_t seq) {
  Chunk& c = ChunkOf(seq);
  const std::size_t pos = Pos(seq);
  for (int b = 0; b < kBands; ++b) {
    const Slot slot = SlotOf(c.sig[pos], b);
    std::uint32_t& head = heads_[b][slot.bucket];
    std::uint32_t link = 0;
    if (head != 0) {
      const std::uint64_t prev = SeqOf(head & kSeqMask);
      if (prev >= first_seq_ && prev < seq && seq - prev <= kSeqMask) {
        link = (head & ~kSeqMask) | static_cast<std::uint32_t>(seq - prev);
      }
    }
    c.link[b][pos] = link;
    head = (slot.tag << 24) | static_cast<std::uint32_t>(seq & kSeqMask);
  }
}

void ClusterIndex::Rehash(std::size_t buckets) {
  buckets_ = std::max(buckets, kMinBuckets);
  for (auto& h : heads_) std::vector<std::uint32_t>(buckets_, 0).swap(h);
  for (std::uint64_t seq = first_seq_; seq < next_seq_; ++seq) Thread(seq);
}

void ClusterIndex::Insert(const MinHashSignature& sig, ClusterId cluster, TimeMs time) {
  const std::uint64_t seq = next_seq_;
  if (Pos(seq) == 0 || chunks_.empty()) {
    if (chunks_.empty()) first_chunk_ = seq >> kChunkBits;
    chunks_.push_back(std::make_unique<Chunk>());
  }
  Chunk& c = ChunkOf(seq);
  const std::size_t pos = Pos(seq);
  c.sig[pos] = sig;
  c.cluster[pos] = cluster;
  c.time[pos] = time;
  ++next_seq_;
  // About 3 members per bucket: rebuilt when that leaves 2..4.
  if (size() > 4 * buckets_) {
    Rehash(size() / 3);
  } else {
    Thread(seq);
  }
}

void ClusterIndex::DropOlderThan(TimeMs before) {
  const std::uint64_t was = first_seq_;
  while (first_seq_ < next_seq_ && ChunkOf(first_seq_).time[Pos(first_seq_)] < before) {
    ++first_seq_;
  }
  if (first_seq_ == was) return;
  ReleaseDropped();
}

void ClusterIndex::KeepNewest(std::size_t max_members) {
  if (size() <= max_members) return;
  first_seq_ = next_seq_ - max_members;
  ReleaseDropped();
}

void ClusterIndex::ReleaseDropped() {
  while (!chunks_.empty() && ((first_chunk_ + 1) << kChunkBits) <= first_seq_) {
    chunks_.pop_front();
    ++first_chunk_;
  }
  if (buckets_ > kMinBuckets && size() < 2 * buckets_) Rehash(size() / 3);
}

std::size_t ClusterIndex::bytes() const {
  return chunks_.size() * (sizeof(Chunk) + sizeof(void*)) +
         heads_.size() * buckets_ * sizeof(std::uint32_t);
}

}  // namespace sakchy::classifier::internal
