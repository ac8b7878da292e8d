#include "monitoring_names.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cctype>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace prequal::test {

namespace {

bool ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_' || c == ':'; }
bool ident_char(char c) { return ident_start(c) || std::isdigit(static_cast<unsigned char>(c)) != 0; }

// Keywords, and the aggregation operators (which may be followed by a by/without clause instead of '(').
const std::set<std::string> keywords{
    "by",     "without", "on",     "ignoring", "group_left", "group_right",  "bool", "and",
    "or",     "unless",  "offset", "sum",      "min",        "max",          "avg",  "count",
    "stddev", "stdvar",  "topk",   "bottomk",  "quantile",   "count_values", "group"};
const std::set<std::string> label_list_keywords{"by",       "without",    "on",
                                                "ignoring", "group_left", "group_right"};

std::string read_file(const std::string& path) {
    std::ifstream in{path};
    if (!in) throw std::runtime_error("cannot read " + path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::size_t indent_of(const std::string& line) { return line.find_first_not_of(' '); }

void collect_dashboard(const boost::json::value& v, std::vector<std::string>& out) {
    if (const auto* o = v.if_object()) {
        for (const auto& [key, value] : *o) {
            if (key == "expr" && value.is_string()) {
                out.emplace_back(value.as_string());
            } else if (key == "query" && value.is_string() && o->contains("type") &&
                       o->at("type") == "query") {
                // A query variable, label_values(metric, label): the metric only.
                std::string q{value.as_string()};
                if (q.rfind("label_values(", 0) == 0) q = q.substr(13, q.find(',') - 13);
                out.push_back(q);
            } else {
                collect_dashboard(value, out);
            }
        }
    } else if (const auto* a = v.if_array()) {
        for (const auto& e : *a) collect_dashboard(e, out);
    }
}

}  // namespace

std::set<std::string> promql_metric_names(std::string_view expr) {
    std::set<std::string> names;
    int braces = 0;      // inside {...}: label matchers
    int label_list = 0;  // depth of the parenthesis that opened a by (...) list, 0 when none
    int parens = 0;
    bool expect_label_list = false;
    for (std::size_t i = 0; i < expr.size();) {
        const char c = expr[i];
        if (c == '"' || c == '\'' || c == '`') {  // a string literal
            const auto end = expr.find(c, i + 1);
            i = end == std::string_view::npos ? expr.size() : end + 1;
            continue;
        }
        if (c == '[') {  // a range or subquery duration
            const auto end = expr.find(']', i);
            i = end == std::string_view::npos ? expr.size() : end + 1;
            continue;
        }
        if (c == '$') {  // a Grafana variable
            ++i;
            while (i < expr.size() && ident_char(expr[i])) ++i;
            continue;
        }
        if (c == '{') ++braces;
        if (c == '}') --braces;
        if (c == '(') {
            ++parens;
            if (expect_label_list) label_list = parens;
            expect_label_list = false;
        }
        if (c == ')') {
            if (label_list == parens) label_list = 0;
            --parens;
        }
        if (std::isdigit(static_cast<unsigned char>(c)) != 0) {  // numbers, including 1e3 and 0.05
            while (i < expr.size() && (ident_char(expr[i]) || expr[i] == '.')) ++i;
            continue;
        }
        if (!ident_start(c)) {
            ++i;
            continue;
        }
        const auto start = i;
        while (i < expr.size() && ident_char(expr[i])) ++i;
        const std::string word{expr.substr(start, i - start)};
        auto next = i;
        while (next < expr.size() && std::isspace(static_cast<unsigned char>(expr[next])) != 0) ++next;
        const char after = next < expr.size() ? expr[next] : '\0';
        if (label_list_keywords.count(word) != 0) {
            expect_label_list = true;
            continue;
        }
        if (keywords.count(word) != 0 || braces > 0 || label_list != 0 || after == '(' || after == '=' ||
            after == '!' || after == '~')
            continue;
        names.insert(word);
    }
    return names;
}

std::vector<std::string> alert_rule_expressions(const std::string& rules_yaml_path) {
    std::istringstream in{read_file(rules_yaml_path)};
    std::vector<std::string> out;
    std::string line;
    std::string block;
    std::size_t block_indent = std::string::npos;  // npos: not in a `expr: |` block
    while (std::getline(in, line)) {
        if (block_indent != std::string::npos) {
            const auto indent = indent_of(line);
            if (indent != std::string::npos && indent > block_indent) {
                block += line + "\n";
                continue;
            }
            out.push_back(block);
            block.clear();
            block_indent = std::string::npos;
        }
        const auto at = line.find("expr:");
        if (at == std::string::npos || line.find_first_not_of(' ') != at) continue;
        const auto value = line.substr(at + 5);
        if (value.find('|') != std::string::npos)
            block_indent = at;
        else
            out.push_back(value);
    }
    if (block_indent != std::string::npos) out.push_back(block);
    return out;
}

std::vector<std::string> dashboard_expressions(const std::string& dashboard_json_path) {
    std::vector<std::string> out;
    collect_dashboard(boost::json::parse(read_file(dashboard_json_path)), out);
    return out;
}

}  // namespace prequal::test
