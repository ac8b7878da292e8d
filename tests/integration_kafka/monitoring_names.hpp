// The metric names the monitoring assets use (config/prometheus/alerts.yml, config/grafana/prequal.json), so
// a test can check each one against a running server's /metrics: a renamed metric must not leave an alert
// that never fires or an empty panel behind.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace prequal::test {

/// The metric names a PromQL expression selects: identifiers that are not functions or aggregations
/// (followed by '('), keywords, label names (in {...} or in by/without/on/ignoring lists), strings,
/// durations or Grafana variables ($...).
std::set<std::string> promql_metric_names(std::string_view expr);

/// Every `expr:` of a Prometheus rules file (single-line, or a `|` block).
std::vector<std::string> alert_rule_expressions(const std::string& rules_yaml_path);

/// Every target `expr` and query variable of a Grafana dashboard.
std::vector<std::string> dashboard_expressions(const std::string& dashboard_json_path);

}  // namespace prequal::test
