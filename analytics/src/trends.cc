#include "analytics/trends.h"

#include <algorithm>
#include <map>

#include "analytics/counter_key.h"

namespace sakchy::analytics {

std::vector<AreaCode> SeriesAreas(const config::AreaTree& areas, const std::vector<AreaCode>& roots,
                                  const std::string& level) {
  std::vector<AreaCode> out;
  for (const auto& root : roots) {
    if (level.empty()) {
      out.push_back(root);
      continue;
    }
    for (const auto& a : areas.areas()) {
      if (a.code == root) continue;
      if (level == "children" ? a.parent == root
                              : a.level == level && areas.IsWithin(a.code, root)) {
        out.push_back(a.code);
      }
    }
  }
  return out;
}

bool FilteredCounts::SeveritySelected(int s) const {
  const auto& sev = filter_.severities;
  return sev.empty() || std::find(sev.begin(), sev.end(), static_cast<Severity>(s)) != sev.end();
}

FilteredCounts::FilteredCounts(const EventFilter& filter, const std::vector<std::string>& dims,
                               const TensionModel& model)
    : filter_(filter), roles_(dims.size()) {
  const auto coefficients = model.Coefficients(dims);
  for (std::size_t d = 0; d < dims.size(); ++d) roles_[d].tension = coefficients[d];
  const bool by_sev = !filter.severities.empty();
  const bool by_cat = !filter.categories.empty();
  auto cat_selected = [&](std::string_view c) {
    return !by_cat || std::binary_search(filter.categories.begin(), filter.categories.end(), c);
  };
  // The key of each dim, and the rendered categories in name order.
  std::vector<std::optional<CounterKey>> keys(dims.size());
  std::map<std::string, int> cat_index;
  for (std::size_t d = 0; d < dims.size(); ++d) {
    keys[d] = CounterKey::Decode(dims[d]);
    if (!keys[d]) continue;
    const auto c = keys[d]->category;
    if (!c.empty() && cat_selected(c)) cat_index.emplace(std::string(c), 0);
  }
  for (auto& [name, idx] : cat_index) {
    idx = static_cast<int>(category_names_.size());
    category_names_.push_back(name);
  }
  for (std::size_t d = 0; d < dims.size(); ++d) {
    if (!keys[d]) continue;
    const CounterKey& key = *keys[d];
    const int s = static_cast<int>(key.severity);
    DimRole& r = roles_[d];
    switch (key.kind) {
      case CounterKey::Kind::kTotal:
        r.total = !by_sev && !by_cat;
        break;
      case CounterKey::Kind::kSeverity:
        if (!SeveritySelected(s)) break;
        r.total = !by_cat && by_sev;
        if (!by_cat) r.severity = static_cast<std::int8_t>(s);
        break;
      case CounterKey::Kind::kCategory:
        if (!cat_selected(key.category)) break;
        r.total = by_cat && !by_sev;
        if (!by_sev) r.category = cat_index.at(std::string(key.category));
        break;
      case CounterKey::Kind::kSeverityCategory:
        if (!SeveritySelected(s) || !cat_selected(key.category)) break;
        r.total = by_sev && by_cat;
        if (by_cat) r.severity = static_cast<std::int8_t>(s);
        if (by_sev) r.category = cat_index.at(std::string(key.category));
        break;
    }
  }
}

FilteredCounts::Sums FilteredCounts::Empty() const {
  Sums s;
  s.category.assign(category_names_.size(), 0);
  s.category_seen.assign(category_names_.size(), false);
  return s;
}

void FilteredCounts::Reset(Sums* s) const {
  s->total = 0;
  s->severity.fill(0);
  std::fill(s->category.begin(), s->category.end(), 0);
  std::fill(s->category_seen.begin(), s->category_seen.end(), false);
  s->tension = 0;
}

void FilteredCounts::AddRow(const storage::CounterTable& t, std::size_t row, Sums* sums) const {
  const DimRole* roles = roles_.data();
  const std::size_t nroles = roles_.size();
  std::int64_t total = 0;
  double tension = 0;
  for (auto i = t.offsets[row]; i < t.offsets[row + 1]; ++i) {
    const auto& cell = t.cells[i];
    if (cell.dim >= nroles) continue;
    const DimRole& r = roles[cell.dim];
    if (r.total) total += cell.value;
    if (r.severity >= 0) sums->severity[static_cast<std::size_t>(r.severity)] += cell.value;
    if (r.category >= 0) {
      sums->category[static_cast<std::size_t>(r.category)] += cell.value;
      sums->category_seen[static_cast<std::size_t>(r.category)] = true;
    }
    tension += r.tension * static_cast<double>(cell.value);
  }
  sums->total += total;
  sums->tension += tension;
}

}  // namespace sakchy::analytics
