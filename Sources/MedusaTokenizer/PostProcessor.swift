/// A post-processor of tokenizer.json (`"post_processor"`): adds the template's special tokens
/// (BOS/EOS) around the ids of a single sequence when special tokens are requested.
indirect enum PostProcessor {
  /// Runs the processors in order.
  case sequence([PostProcessor])
  /// `TemplateProcessing`: the `single` template, with each special token's ids resolved.
  case template([TemplatePart])
  /// `ByteLevel` as a post-processor only adjusts offsets: ids pass unchanged.
  case byteLevel

  /// One element of a `single` template.
  enum TemplatePart {
    /// The ids of a special token.
    case special([Int])
    /// The encoded sequence (`$A`).
    case sequence
  }

  /// Reads the post-processor at `path`.
  init(json: JSON, path: String) throws {
    let fields = try JSONFields(json, path: path)
    let type = try fields.type()
    switch type {
    case "Sequence":
      let parts = try fields.array("processors")
      self = .sequence(
        try parts.enumerated().map {
          try PostProcessor(json: $0.element, path: fields.field("processors.\($0.offset)"))
        })
    case "ByteLevel":
      self = .byteLevel
    case "TemplateProcessing":
      let specials = try fields.object("special_tokens")
      let single = try fields.array("single")
      self = .template(
        try single.enumerated().map { index, item in
          let itemFields = try JSONFields(item, path: fields.field("single.\(index)"))
          if let special = itemFields.value["SpecialToken"] {
            let name = try JSONFields(special, path: itemFields.field("SpecialToken")).string("id")
            guard let entry = specials.value[name] else {
              throw TokenizerError.unknownToken(field: specials.path, token: name)
            }
            let entryFields = try JSONFields(entry, path: specials.field(name))
            return .special(
              try entryFields.array("ids").enumerated().map {
                try JSONFields.integer($0.element, field: entryFields.field("ids.\($0.offset)"))
              })
          }
          guard itemFields.value["Sequence"] != nil else {
            throw TokenizerError.invalidField(
              field: itemFields.path, reason: "expected SpecialToken or Sequence")
          }
          return .sequence
        })
    default:
      throw TokenizerError.unsupportedComponent(field: path, type: type)
    }
  }

  /// The final ids of one sequence; with `addSpecialTokens` false the ids pass unchanged.
  func apply(_ ids: [Int], addSpecialTokens: Bool) -> [Int] {
    switch self {
    case .sequence(let parts):
      return parts.reduce(ids) { $1.apply($0, addSpecialTokens: addSpecialTokens) }
    case .byteLevel:
      return ids
    case .template(let parts):
      guard addSpecialTokens else { return ids }
      var out: [Int] = []
      out.reserveCapacity(ids.count + parts.count)
      for part in parts {
        switch part {
        case .special(let specialIDs): out += specialIDs
        case .sequence: out += ids
        }
      }
      return out
    }
  }

  /// All ids the template may add (used to find BOS/EOS when no config names them).
  var templateIDs: (leading: [Int], trailing: [Int]) {
    switch self {
    case .sequence(let parts):
      return parts.reduce(([], [])) { result, part in
        let ids = part.templateIDs
        return (result.0 + ids.leading, result.1 + ids.trailing)
      }
    case .byteLevel:
      return ([], [])
    case .template(let parts):
      var leading: [Int] = []
      var trailing: [Int] = []
      var seenSequence = false
      for part in parts {
        switch part {
        case .special(let ids):
          if seenSequence { trailing += ids } else { leading += ids }
        case .sequence:
          seenSequence = true
        }
      }
      return (leading, trailing)
    }
  }
}
