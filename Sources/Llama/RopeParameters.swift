import Foundation

/// Rotary position embedding parameters (Su et al.), as Hugging Face stores them: either the
/// legacy `rope_theta` + `rope_scaling` fields or the newer `rope_parameters` object.
///
/// Supported: the default RoPE and Llama 3.1's `"llama3"` frequency scaling. Any other
/// scaling type is an error that names it.
public struct RopeParameters: Sendable, Equatable {
  /// Llama 3.1 frequency scaling.
  public struct Llama3Scaling: Sendable, Equatable {
    /// Divisor applied to low frequencies.
    public var factor: Double
    /// Wavelengths longer than `originalContext / lowFrequencyFactor` are scaled fully.
    public var lowFrequencyFactor: Double
    /// Wavelengths shorter than `originalContext / highFrequencyFactor` are kept.
    public var highFrequencyFactor: Double
    /// The context length of pre-training.
    public var originalContext: Double
  }

  /// The base wavelength θ.
  public var theta: Double
  /// Width of one head (all of it rotates: partial rotary factors are not used by Llama).
  public var headDimension: Int
  /// Llama 3.1 scaling, if configured.
  public var llama3: Llama3Scaling?

  /// Reads the RoPE fields of config.json.
  init(fields: JSONFields, headDimension: Int) throws(LlamaError) {
    self.headDimension = headDimension
    let parameters = try fields.nested("rope_parameters")
    let scaling = try fields.nested("rope_scaling") ?? parameters
    if let parameters, parameters.has("rope_theta") {
      theta = try parameters.double("rope_theta")
    } else {
      theta = try fields.double("rope_theta", default: 10000)
    }
    if let factor = try parameters?.double("partial_rotary_factor", default: 1.0), factor != 1.0 {
      throw .unsupportedFeature(file: fields.file, feature: "partial_rotary_factor \(factor)")
    }
    guard theta > 0 else {
      throw .invalidConfig(file: fields.file, field: "rope_theta", reason: "must be positive")
    }
    llama3 = nil
    guard let scaling else { return }
    var type = try scaling.string("rope_type")
    if type == nil { type = try scaling.string("type") }
    switch type ?? "default" {
    case "default":
      return
    case "llama3":
      let context = try scaling.double(
        "original_max_position_embeddings",
        default: Double(try fields.int("max_position_embeddings", default: 2048, in: 1...(1 << 30)))
      )
      let scale = Llama3Scaling(
        factor: try scaling.double("factor"),
        lowFrequencyFactor: try scaling.double("low_freq_factor"),
        highFrequencyFactor: try scaling.double("high_freq_factor"),
        originalContext: context)
      guard scale.factor > 0, scale.highFrequencyFactor > scale.lowFrequencyFactor else {
        throw .invalidConfig(
          file: fields.file, field: "rope_scaling",
          reason: "llama3 needs factor > 0 and high_freq_factor > low_freq_factor")
      }
      llama3 = scale
    default:
      throw .unsupportedFeature(
        file: fields.file, feature: "rope scaling type '\(type ?? "default")'")
    }
  }

  /// The inverse frequencies θ^(-2i/d) for i in 0..<d/2, with Llama 3.1 scaling applied.
  ///
  /// Computed in Double and rounded once to Float (transformers computes them in float32;
  /// the two differ by at most an ulp).
  public func inverseFrequencies() -> [Float] {
    let half = headDimension / 2
    return (0..<half).map { index in
      let exponent = Double(2 * index) / Double(headDimension)
      var frequency = 1.0 / Foundation.pow(theta, exponent)
      if let scale = llama3 { frequency = Self.scaled(frequency, by: scale) }
      return Float(frequency)
    }
  }

  /// Llama 3.1: keep high frequencies, divide low ones by `factor`, blend in between.
  private static func scaled(_ frequency: Double, by scale: Llama3Scaling) -> Double {
    let wavelength = 2 * Double.pi / frequency
    let lowFrequencyWavelength = scale.originalContext / scale.lowFrequencyFactor
    let highFrequencyWavelength = scale.originalContext / scale.highFrequencyFactor
    if wavelength < highFrequencyWavelength { return frequency }
    if wavelength > lowFrequencyWavelength { return frequency / scale.factor }
    let smooth =
      (scale.originalContext / wavelength - scale.lowFrequencyFactor)
      / (scale.highFrequencyFactor - scale.lowFrequencyFactor)
    return (1 - smooth) * frequency / scale.factor + smooth * frequency
  }
}
