#include "classifier/model_fixture.h"

namespace sakchy::testing {

std::vector<classifier::TrainingExample> ModelFixtureExamples() {
  struct Topic {
    const char* group;
    std::vector<const char*> subjects;
  };
  const std::vector<Topic> topics = {
      {"water", {"the water in the north district", "вода в микрорайоне", "суу кудуктагы"}},
      {"bank", {"the city bank", "все банки города", "банктар"}},
      {"border", {"the border post", "пограничный пост", "чек ара посту"}},
      {"school", {"the school on main street", "школа номер пять", "мектеп"}},
  };
  const std::vector<const char*> rumour_frames = {
      "people say %s was poisoned last night, share this with everyone!!",
      "говорят, %s отравлена, передайте всем срочно",
      "they are hiding the truth about %s, my cousin heard it from a friend",
      "срочно!!! %s закроют завтра, люди в панике, перешлите",
      "уккан кабар боюнча %s жабылат, баарына жибергиле",
      "unconfirmed: somebody attacked %s?? nobody tells us anything",
      "по слухам %s захватили, правду скрывают",
      "they say %s will be closed, take your children home now!",
  };
  const std::vector<const char*> other_frames = {
      "the city council repaired %s on tuesday, work finished on time",
      "мэрия сообщила график работ: %s работает как обычно",
      "%s opened at nine this morning, queues were short",
      "в понедельник %s проверили специалисты, нарушений нет",
      "%s боюнча жыйын шаршемби күнү өтөт",
      "official statement: %s is operating normally, details on the website",
      "сегодня %s посетили школьники на экскурсии",
      "the annual report on %s was published by the ministry",
  };
  std::vector<classifier::TrainingExample> out;
  for (const auto& topic : topics) {
    for (const char* subject : topic.subjects) {
      for (const auto* frames : {&rumour_frames, &other_frames}) {
        // Every subject with every other frame: about 120 examples, both labels in every group.
        for (std::size_t f = (subject[0] % 2); f < frames->size(); f += 2) {
          char buf[512];
          std::snprintf(buf, sizeof(buf), (*frames)[f], subject);
          out.push_back({buf, frames == &rumour_frames ? "rumour" : "other", topic.group});
        }
      }
    }
  }
  return out;
}

classifier::ModelHyperparameters TinyHyperparameters() {
  classifier::ModelHyperparameters hp;
  hp.dim = 8;
  hp.bucket = 4096;
  hp.minn = 2;
  hp.maxn = 4;
  hp.word_ngrams = 2;
  hp.epoch = 30;
  hp.lr = 0.5;
  hp.threads = 1;
  return hp;
}

Result<classifier::ModelCard> TrainTinyModel(const std::string& dir, int seed) {
  classifier::TrainingSpec spec;
  spec.name = "rumour-test";
  spec.task = "rumour";
  spec.positive = "rumour";
  spec.hyperparameters = TinyHyperparameters();
  spec.hyperparameters.seed = seed;
  spec.data_description = "test fixture texts";
  spec.data_file = "fixture";
  spec.data_sha256 = std::string(64, '0');
  return classifier::TrainModel(ModelFixtureExamples(), {}, spec, dir, 1'700'000'000'000);
}

}  // namespace sakchy::testing
