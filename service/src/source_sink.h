#pragma once
// The service's adapters to the ports pull sources declare (ingest/sources/source.h): the sink
// that hands their items to the pipeline, and the cursor reader over the intake log. Private to
// service/; Serve() wires them.
//
// Thread safety: Submit from any source thread; the pipeline and the engine are thread-safe.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alerts/engine.h"
#include "core/metrics.h"
#include "core/time.h"
#include "ingest/pipeline.h"
#include "ingest/sources/source.h"
#include "ingest/validation.h"
#include "storage/ports.h"

namespace sakchy::service::internal {

// Pull sources hand their items to the pipeline; their cursor travels in the same write. A
// source cannot be asked to resend: texts are sanitised and times clamped, item by item, instead
// of refusing the batch.
class PipelineSink final : public ingest::sources::ReportSink {
 public:
  // `replies` (may be null) hears of reports from private chats (alerts/replies.h).
  PipelineSink(ingest::Pipeline& pipeline, std::size_t max_text_bytes,
               ingest::ObservedWindow observed, const Clock& clock, MetricsRegistry& metrics,
               alerts::Engine* replies);

  void Submit(std::vector<Report> reports, std::optional<ingest::sources::Cursor> cursor,
              ingest::SubmitCallback done) override;

 private:
  ingest::Pipeline& pipeline_;
  alerts::Engine* replies_;
  const std::size_t max_text_bytes_;
  const ingest::ObservedWindow observed_;
  const Clock& clock_;
  Counter& sanitized_;
  Counter& clamped_;
};

// A source's cursor as the intake log holds it.
class StoreCursorReader final : public ingest::sources::CursorReader {
 public:
  explicit StoreCursorReader(storage::IntakeLog& store) : store_(store) {}
  Result<std::optional<std::string>> GetCursor(std::string_view source_id) override {
    return store_.GetCursor(source_id);
  }

 private:
  storage::IntakeLog& store_;
};

}  // namespace sakchy::service::internal
