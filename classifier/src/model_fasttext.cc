#include "model_fasttext.h"

#include <fasttext/fasttext.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fstream>
#include <iterator>
#include <sstream>

namespace sakchy::classifier::internal {
namespace {

constexpr std::string_view kLabelPrefix = "__label__";

// FastText's check of the file header (magic, version) is protected: this exposes it, so a
// model can be read from memory with the same checks as loadModel(path).
class FastTextReader : public fasttext::FastText {
 public:
  bool CheckHeader(std::istream& in) { return checkModel(in); }
};

Error Corrupt(const std::string& origin, const std::string& problem) {
  return Error{ErrorCode::kCorruption, origin + ": " + problem};
}

Result<ConvertedModel> Convert(const fasttext::FastText& ft, const std::string& origin) {
  const fasttext::Args args = ft.getArgs();
  if (args.model != fasttext::model_name::sup) {
    return tl::unexpected(Corrupt(origin, "not a supervised fastText model"));
  }
  if (args.loss != fasttext::loss_name::softmax) {
    return tl::unexpected(
        Corrupt(origin, "loss " + args.lossToString(args.loss) + " is not supported (softmax)"));
  }
  if (ft.isQuant()) return tl::unexpected(Corrupt(origin, "quantised models are not supported"));
  if (args.wordNgrams > kMaxWordNgrams || args.bucket <= 0 || args.maxn > 32) {
    return tl::unexpected(Corrupt(origin, "unsupported word_ngrams, bucket or maxn"));
  }
  auto dict = ft.getDictionary();
  auto input = ft.getInputMatrix();
  auto output = ft.getOutputMatrix();
  const int labels = dict->nlabels();
  const int dim = args.dim;
  const std::int64_t words = dict->nwords();
  if (labels < 2 || labels > kMaxModelLabels) {
    return tl::unexpected(Corrupt(origin, std::to_string(labels) + " labels (2 to " +
                                              std::to_string(kMaxModelLabels) + " supported)"));
  }
  if (input->size(0) != words + args.bucket || input->size(1) != dim ||
      output->size(0) != labels || output->size(1) != dim) {
    return tl::unexpected(Corrupt(origin, "matrix sizes do not match the dictionary"));
  }
  ConvertedModel m;
  for (int l = 0; l < labels; ++l) {
    std::string name = dict->getLabel(l);
    if (name.starts_with(kLabelPrefix)) name.erase(0, kLabelPrefix.size());
    m.labels.push_back(std::move(name));
  }
  const float* in = input->data();
  const float* out = output->data();
  // Projected row r: output × input row r, one float per label.
  auto project = [&](std::int64_t r, float* dst) {
    const float* row = in + r * dim;
    for (int l = 0; l < labels; ++l) {
      const float* o = out + static_cast<std::int64_t>(l) * dim;
      float s = 0;
      for (int d = 0; d < dim; ++d) s += row[d] * o[d];
      dst[l] = s;
    }
  };
  ModelTables& t = m.tables;
  t.labels = labels;
  t.minn = args.minn;
  t.maxn = args.maxn;
  t.bucket = static_cast<std::uint32_t>(args.bucket);
  t.word_ngrams = args.wordNgrams;
  const auto nl = static_cast<std::size_t>(labels);
  t.bucket_rows.resize(static_cast<std::size_t>(args.bucket) * nl);
  for (std::int64_t b = 0; b < args.bucket; ++b) {
    project(words + b, &t.bucket_rows[static_cast<std::size_t>(b) * nl]);
  }
  std::vector<float> word_row(nl);
  t.word_rows.assign(static_cast<std::size_t>(words) * nl, 0.0f);
  t.word_offsets.push_back(0);
  for (std::int32_t w = 0; w < words; ++w) {
    const std::string word = dict->getWord(w);
    t.word_hashes.push_back(FastTextHash(word));
    t.word_text += word;
    t.word_offsets.push_back(static_cast<std::uint32_t>(t.word_text.size()));
    const std::vector<std::int32_t>& ids = dict->getSubwords(w);
    float* dst = &t.word_rows[static_cast<std::size_t>(w) * nl];
    for (std::int32_t id : ids) {
      project(id, word_row.data());
      for (std::size_t l = 0; l < nl; ++l) dst[l] += word_row[l];
    }
    t.word_counts.push_back(static_cast<std::uint32_t>(ids.size()));
  }
  t.BuildIndex();
  const auto& h = args;
  m.hyperparameters = ModelHyperparameters{h.dim,   h.minn, h.maxn, h.bucket, h.wordNgrams,
                                           h.epoch, h.lr,   h.seed, h.thread};
  return m;
}

}  // namespace

Result<ConvertedModel> ReadFastTextModel(const std::string& bytes, const std::string& origin) {
  try {
    FastTextReader ft;
    std::istringstream in(bytes);
    if (!ft.CheckHeader(in)) {
      return tl::unexpected(
          Corrupt(origin, "not a fastText model file of the version this build reads"));
    }
    ft.loadModel(in);
    if (in.fail()) return tl::unexpected(Corrupt(origin, "truncated"));
    if (in.peek() != std::char_traits<char>::eof()) {
      return tl::unexpected(Corrupt(origin, "trailing bytes after the model"));
    }
    return Convert(ft, origin);
  } catch (const std::exception& e) {
    return tl::unexpected(Corrupt(origin, std::string("fastText cannot read it: ") + e.what()));
  }
}

Result<std::string> TrainFastText(const TrainingLines& lines, const ModelHyperparameters& hp,
                                  const std::string& work_path) {
  const std::string input = work_path + ".train.txt";
  const std::string model = work_path + ".bin";
  struct Cleanup {
    const std::string& a;
    const std::string& b;
    ~Cleanup() {
      std::remove(a.c_str());
      std::remove(b.c_str());
    }
  } cleanup{input, model};
  {
    std::ofstream f(input, std::ios::binary | std::ios::trunc);
    for (const auto& [label, text] : lines) {
      f << kLabelPrefix << label << ' ' << text << '\n';
    }
    f.close();
    if (!f) return MakeError(ErrorCode::kIo, input + ": cannot write the training file");
  }
  fasttext::Args a;
  a.input = input;
  a.model = fasttext::model_name::sup;
  a.loss = fasttext::loss_name::softmax;
  a.dim = hp.dim;
  a.minn = hp.minn;
  a.maxn = hp.maxn;
  a.bucket = hp.bucket;
  a.wordNgrams = hp.word_ngrams;
  a.epoch = hp.epoch;
  a.lr = hp.lr;
  a.seed = hp.seed;
  a.thread = hp.threads;
  a.minCount = 1;
  a.minCountLabel = 0;
  a.verbose = 0;
  try {
    fasttext::FastText ft;
    ft.train(a);
    ft.saveModel(model);
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kInternal, std::string("fastText training failed: ") + e.what());
  }
  std::ifstream f(model, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (!f.good() && !f.eof()) return MakeError(ErrorCode::kIo, model + ": cannot read it back");
  return bytes;
}

Result<std::vector<float>> FastTextPredict(const std::string& model_bin_path,
                                           std::string_view model_text,
                                           const std::vector<std::string>& labels) {
  try {
    fasttext::FastText ft;
    ft.loadModel(model_bin_path);
    std::istringstream in(std::string(model_text) + "\n");
    std::vector<std::pair<fasttext::real, std::string>> predictions;
    ft.predictLine(in, predictions, static_cast<std::int32_t>(labels.size()), 0.0f);
    std::vector<float> out(labels.size(), 0.0f);
    for (const auto& [p, name] : predictions) {
      for (std::size_t i = 0; i < labels.size(); ++i) {
        // predictLine gives exp(log(p + 1e-5)).
        if (name == std::string(kLabelPrefix) + labels[i]) out[i] = p - 1e-5f;
      }
    }
    return out;
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kInternal, std::string("fastText: ") + e.what());
  }
}

}  // namespace sakchy::classifier::internal
