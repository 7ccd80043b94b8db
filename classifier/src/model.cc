#include "classifier/model.h"

#include <algorithm>
#include <filesystem>

#include "config/files.h"
#include "core/crypto.h"
#include "model_fasttext.h"
#include "model_tables.h"
#include "model_text.h"

namespace sakchy::classifier {

class Model::Impl {
 public:
  ModelCard card;
  std::string dir;
  std::string version;
  internal::ModelTables tables;
  // card.labels[i] is output table_index[i] of the tables.
  std::vector<int> table_index;
  int positive = 0;  // index in card.labels
};

namespace {

Error Refuse(ErrorCode code, const std::string& message) { return Error{code, message}; }

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

}  // namespace

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::~Model() = default;

Result<std::shared_ptr<const Model>> Model::Load(const std::string& dir,
                                                 std::string_view expected_positive) {
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) {
    return tl::unexpected(Refuse(ErrorCode::kNotFound, "model directory " + dir + ": not found"));
  }
  if (!std::filesystem::is_directory(dir, ec)) {
    return tl::unexpected(
        Refuse(ErrorCode::kInvalidArgument, "model directory " + dir + ": not a directory"));
  }
  const std::string card_path = (std::filesystem::path(dir) / kModelCardFile).string();
  const std::string bin_path = (std::filesystem::path(dir) / kModelFile).string();
  auto card_text = config::ReadTextFile(card_path);
  if (!card_text) return tl::unexpected(card_text.error());
  auto card = ParseModelCard(*card_text, card_path);
  if (!card) return tl::unexpected(card.error());
  if (card->text_version != internal::kModelTextVersion) {
    return tl::unexpected(Refuse(ErrorCode::kInvalidArgument,
                                 card_path + ": text_version: '" + card->text_version +
                                     "' is not known to this build (it has '" +
                                     std::string(internal::kModelTextVersion) + "')"));
  }
  if (!expected_positive.empty() && card->positive != expected_positive) {
    return tl::unexpected(Refuse(
        ErrorCode::kInvalidArgument,
        card_path + ": positive: the model was trained for '" + card->positive + "' (labels " +
            Join(card->labels) + "), the config expects '" + std::string(expected_positive) +
            "'"));
  }
  auto bytes = config::ReadTextFile(bin_path);
  if (!bytes) return tl::unexpected(bytes.error());
  if (const std::string sha = Sha256Hex(*bytes); sha != card->model_sha256) {
    return tl::unexpected(Refuse(ErrorCode::kCorruption,
                                 bin_path + ": SHA-256 " + sha.substr(0, 16) +
                                     "... differs from the card's " +
                                     card->model_sha256.substr(0, 16) +
                                     "... (corrupt, truncated or replaced)"));
  }
  auto converted = internal::ReadFastTextModel(*bytes, bin_path);
  if (!converted) return tl::unexpected(converted.error());

  auto impl = std::make_unique<Impl>();
  std::vector<std::string> sorted_model = converted->labels;
  std::vector<std::string> sorted_card = card->labels;
  std::sort(sorted_model.begin(), sorted_model.end());
  std::sort(sorted_card.begin(), sorted_card.end());
  if (sorted_model != sorted_card) {
    return tl::unexpected(Refuse(ErrorCode::kCorruption, bin_path + ": labels " +
                                                             Join(sorted_model) +
                                                             " differ from the card's " +
                                                             Join(sorted_card)));
  }
  for (const auto& label : card->labels) {
    const auto it = std::find(converted->labels.begin(), converted->labels.end(), label);
    impl->table_index.push_back(static_cast<int>(it - converted->labels.begin()));
    if (label == card->positive) {
      impl->positive = static_cast<int>(impl->table_index.size() - 1);
    }
  }
  impl->tables = std::move(converted->tables);
  impl->card = std::move(*card);
  impl->dir = dir;
  impl->version = impl->card.model_sha256.substr(0, 16);
  return std::shared_ptr<const Model>(new Model(std::move(impl)));
}

void Model::Predict(std::string_view text, std::span<float> out) const {
  float raw[internal::kMaxModelLabels];
  const auto n = static_cast<std::size_t>(impl_->tables.labels);
  impl_->tables.Predict(text, std::span<float>(raw, n));
  for (std::size_t i = 0; i < n && i < out.size(); ++i) {
    out[i] = raw[impl_->table_index[i]];
  }
}

double Model::PositiveProbability(std::string_view text) const {
  float raw[internal::kMaxModelLabels];
  const auto n = static_cast<std::size_t>(impl_->tables.labels);
  impl_->tables.Predict(text, std::span<float>(raw, n));
  return raw[impl_->table_index[static_cast<std::size_t>(impl_->positive)]];
}

const ModelCard& Model::card() const { return impl_->card; }
const std::string& Model::dir() const { return impl_->dir; }
const std::string& Model::version() const { return impl_->version; }
std::size_t Model::memory_bytes() const { return impl_->tables.memory_bytes(); }

}  // namespace sakchy::classifier
