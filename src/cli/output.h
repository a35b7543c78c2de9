#pragma once

// How client commands print: aligned tables for people, one JSON document with --json.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace yard::cli {

/// A table printed with columns padded to their widest cell.
class Table {
 public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  void AddRow(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  /// Prints the table to stdout, or `empty_message` when it has no rows.
  void Print(const std::string& empty_message) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

/// Pretty-prints a JSON document to stdout.
void PrintJson(const nlohmann::json& json);

/// A JSON string field, "-" for null or absent: for table cells.
std::string Cell(const nlohmann::json& object, const char* field);

}  // namespace yard::cli
