// Prometheus registry: families keyed by name, series keyed by label set; rendered in text format 0.0.4.
#include <prequal/core/metrics.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace prequal::core {
namespace {

enum metric_type { type_counter = 0, type_gauge = 1, type_histogram = 2 };

void append_label_value(std::string& out, std::string_view v) {
    for (char c : v) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
}

std::string render_labels(const metric_labels& labels, std::string_view extra_key = {},
                          std::string_view extra_value = {}) {
    if (labels.empty() && extra_key.empty()) return {};
    std::string out = "{";
    bool first = true;
    for (const auto& [k, v] : labels) {
        if (!first) out += ',';
        first = false;
        out += k;
        out += "=\"";
        append_label_value(out, v);
        out += '"';
    }
    if (!extra_key.empty()) {
        if (!first) out += ',';
        out += extra_key;
        out += "=\"";
        out += extra_value;
        out += '"';
    }
    out += '}';
    return out;
}

std::string format_number(double v) {
    if (v == static_cast<double>(static_cast<long long>(v)))
        return fmt::format("{}", static_cast<long long>(v));
    return fmt::format("{}", v);
}

}  // namespace

histogram::histogram(std::vector<double> upper_bounds)
    : bounds_{std::move(upper_bounds)}, buckets_{new std::atomic<std::uint64_t>[bounds_.size() + 1]} {
    std::sort(bounds_.begin(), bounds_.end());
    for (std::size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void histogram::observe(double seconds) {
    std::size_t i = 0;
    while (i < bounds_.size() && seconds > bounds_[i]) ++i;
    buckets_[i].fetch_add(1, std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
    const double micros = seconds < 0 ? 0 : seconds * 1e6;
    sum_micros_.fetch_add(static_cast<std::uint64_t>(micros), std::memory_order_relaxed);
}

double histogram::sum() const {
    return static_cast<double>(sum_micros_.load(std::memory_order_relaxed)) / 1e6;
}

std::vector<double> default_latency_buckets() {
    return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

struct metrics_registry::family {
    std::string name;
    std::string help;
    int type = type_counter;
    struct series {
        metric_labels labels;
        std::unique_ptr<counter> c;
        std::unique_ptr<gauge> g;
        std::unique_ptr<histogram> h;
        std::function<std::int64_t()> read;
    };
    std::vector<std::unique_ptr<series>> all;

    series* find(const metric_labels& labels) {
        for (auto& s : all)
            if (s->labels == labels) return s.get();
        return nullptr;
    }
};

metrics_registry::metrics_registry() = default;
metrics_registry::~metrics_registry() = default;

metrics_registry::family& metrics_registry::family_for(const std::string& name, const std::string& help,
                                                       int type) {
    for (auto& f : families_) {
        if (f->name == name) {
            if (f->type != type) throw std::logic_error("metric " + name + " registered with two types");
            return *f;
        }
    }
    if (type == type_counter && !name.ends_with("_total"))
        throw std::logic_error("counter " + name + " must end in _total");
    auto f = std::make_unique<family>();
    f->name = name;
    f->help = help;
    f->type = type;
    families_.push_back(std::move(f));
    return *families_.back();
}

counter& metrics_registry::get_counter(const std::string& name, const std::string& help,
                                       const metric_labels& labels) {
    std::lock_guard lock{mutex_};
    auto& f = family_for(name, help, type_counter);
    if (auto* s = f.find(labels)) return *s->c;
    auto s = std::make_unique<family::series>();
    s->labels = labels;
    s->c = std::make_unique<counter>();
    f.all.push_back(std::move(s));
    return *f.all.back()->c;
}

gauge& metrics_registry::get_gauge(const std::string& name, const std::string& help,
                                   const metric_labels& labels) {
    std::lock_guard lock{mutex_};
    auto& f = family_for(name, help, type_gauge);
    if (auto* s = f.find(labels); s && s->g) return *s->g;
    auto s = std::make_unique<family::series>();
    s->labels = labels;
    s->g = std::make_unique<gauge>();
    f.all.push_back(std::move(s));
    return *f.all.back()->g;
}

histogram& metrics_registry::get_histogram(const std::string& name, const std::string& help,
                                           const metric_labels& labels, std::vector<double> bounds) {
    std::lock_guard lock{mutex_};
    auto& f = family_for(name, help, type_histogram);
    if (auto* s = f.find(labels)) return *s->h;
    auto s = std::make_unique<family::series>();
    s->labels = labels;
    s->h = std::make_unique<histogram>(std::move(bounds));
    f.all.push_back(std::move(s));
    return *f.all.back()->h;
}

void metrics_registry::add_callback_gauge(const std::string& name, const std::string& help,
                                          const metric_labels& labels, std::function<std::int64_t()> read) {
    std::lock_guard lock{mutex_};
    auto& f = family_for(name, help, type_gauge);
    if (auto* s = f.find(labels)) {
        s->read = std::move(read);
        s->g.reset();
        return;
    }
    auto s = std::make_unique<family::series>();
    s->labels = labels;
    s->read = std::move(read);
    f.all.push_back(std::move(s));
}

std::string metrics_registry::render() const {
    std::lock_guard lock{mutex_};
    std::vector<const family*> sorted;
    for (const auto& f : families_) sorted.push_back(f.get());
    std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->name < b->name; });
    std::string out;
    static constexpr const char* type_names[] = {"counter", "gauge", "histogram"};
    for (const auto* f : sorted) {
        out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", f->name, f->help, f->name, type_names[f->type]);
        for (const auto& s : f->all) {
            if (f->type == type_counter) {
                out += fmt::format("{}{} {}\n", f->name, render_labels(s->labels), s->c->value());
            } else if (f->type == type_gauge) {
                const std::int64_t v = s->read ? s->read() : s->g->value();
                out += fmt::format("{}{} {}\n", f->name, render_labels(s->labels), v);
            } else {
                const auto& h = *s->h;
                std::uint64_t cumulative = 0;
                for (std::size_t i = 0; i < h.bounds().size(); ++i) {
                    cumulative += h.bucket_count(i);
                    out +=
                        fmt::format("{}_bucket{} {}\n", f->name,
                                    render_labels(s->labels, "le", format_number(h.bounds()[i])), cumulative);
                }
                cumulative += h.bucket_count(h.bounds().size());
                out += fmt::format("{}_bucket{} {}\n", f->name, render_labels(s->labels, "le", "+Inf"),
                                   cumulative);
                out += fmt::format("{}_sum{} {}\n", f->name, render_labels(s->labels), h.sum());
                out += fmt::format("{}_count{} {}\n", f->name, render_labels(s->labels), cumulative);
            }
        }
    }
    return out;
}

}  // namespace prequal::core
