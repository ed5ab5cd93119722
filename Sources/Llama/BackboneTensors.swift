import MedusaKernels

/// One tensor of the backbone, named by its role; each checkpoint format maps roles to its
/// own names (Hugging Face `model.layers.3.self_attn.q_proj.weight`, GGUF `blk.3.attn_q.weight`).
public enum BackboneTensor: Sendable, Hashable {
  /// The token embedding `[vocab][hidden]`.
  case embedding
  /// The final RMSNorm weight `[hidden]`.
  case finalNorm
  /// The LM head `[vocab][hidden]` (absent when tied to the embedding).
  case languageModelHead
  /// A tensor of decoder layer `index`.
  case layer(Int, LayerTensor)

  /// The tensors of one decoder layer.
  public enum LayerTensor: String, Sendable, Hashable, CaseIterable {
    case queryWeight, keyWeight, valueWeight, outputWeight
    case queryBias, keyBias, valueBias, outputBias
    case gateWeight, upWeight, downWeight
    case gateBias, upBias, downBias
    case inputNorm, postAttentionNorm
  }

  /// The Hugging Face (transformers `LlamaForCausalLM` state dict) name.
  public var huggingFaceName: String {
    switch self {
    case .embedding: return "model.embed_tokens.weight"
    case .finalNorm: return "model.norm.weight"
    case .languageModelHead: return "lm_head.weight"
    case .layer(let index, let tensor):
      let prefix = "model.layers.\(index)."
      switch tensor {
      case .queryWeight: return prefix + "self_attn.q_proj.weight"
      case .keyWeight: return prefix + "self_attn.k_proj.weight"
      case .valueWeight: return prefix + "self_attn.v_proj.weight"
      case .outputWeight: return prefix + "self_attn.o_proj.weight"
      case .queryBias: return prefix + "self_attn.q_proj.bias"
      case .keyBias: return prefix + "self_attn.k_proj.bias"
      case .valueBias: return prefix + "self_attn.v_proj.bias"
      case .outputBias: return prefix + "self_attn.o_proj.bias"
      case .gateWeight: return prefix + "mlp.gate_proj.weight"
      case .upWeight: return prefix + "mlp.up_proj.weight"
      case .downWeight: return prefix + "mlp.down_proj.weight"
      case .gateBias: return prefix + "mlp.gate_proj.bias"
      case .upBias: return prefix + "mlp.up_proj.bias"
      case .downBias: return prefix + "mlp.down_proj.bias"
      case .inputNorm: return prefix + "input_layernorm.weight"
      case .postAttentionNorm: return prefix + "post_attention_layernorm.weight"
      }
    }
  }

  /// The GGUF (llama.cpp `LLM_TENSOR_NAMES`) name.
  public var ggufName: String {
    switch self {
    case .embedding: return "token_embd.weight"
    case .finalNorm: return "output_norm.weight"
    case .languageModelHead: return "output.weight"
    case .layer(let index, let tensor):
      let prefix = "blk.\(index)."
      switch tensor {
      case .queryWeight: return prefix + "attn_q.weight"
      case .keyWeight: return prefix + "attn_k.weight"
      case .valueWeight: return prefix + "attn_v.weight"
      case .outputWeight: return prefix + "attn_output.weight"
      case .queryBias: return prefix + "attn_q.bias"
      case .keyBias: return prefix + "attn_k.bias"
      case .valueBias: return prefix + "attn_v.bias"
      case .outputBias: return prefix + "attn_output.bias"
      case .gateWeight: return prefix + "ffn_gate.weight"
      case .upWeight: return prefix + "ffn_up.weight"
      case .downWeight: return prefix + "ffn_down.weight"
      case .gateBias: return prefix + "ffn_gate.bias"
      case .upBias: return prefix + "ffn_up.bias"
      case .downBias: return prefix + "ffn_down.bias"
      case .inputNorm: return prefix + "attn_norm.weight"
      case .postAttentionNorm: return prefix + "ffn_norm.weight"
      }
    }
  }
}

/// Where the backbone's tensors come from: a Hugging Face safetensors checkpoint
/// (``SafetensorsBackbone``) or a GGUF file (``GGUFBackbone``). Shapes are always given in the
/// Hugging Face convention (`[out][in]` for a linear weight); each source checks them against
/// its own layout, keeps the memory alive and records what was used.
protocol BackboneTensorSource: AnyObject {
  /// A 2-D weight `[rows][columns]` as a view in its stored type.
  func matrix(_ tensor: BackboneTensor, _ shape: [Int]) throws(LlamaError) -> WeightMatrix
  /// A 1-D weight widened to `Float`.
  func vector(_ tensor: BackboneTensor, _ count: Int) throws(LlamaError) -> FloatBuffer
  /// Accounts for the LM head of a model whose head is tied to the embedding.
  func markTiedHead()
  /// Throws for every tensor that was not used (and is not allowed by the source's own rules).
  func rejectUnused() throws(LlamaError)
}

/// The safetensors side of ``BackboneTensorSource``: Hugging Face names through a
/// ``WeightLoader``.
final class SafetensorsBackbone: BackboneTensorSource {
  let loader: WeightLoader
  let ignoredPrefixes: [String]

  init(loader: WeightLoader, ignoredPrefixes: [String]) {
    self.loader = loader
    self.ignoredPrefixes = ignoredPrefixes
  }

  func matrix(_ tensor: BackboneTensor, _ shape: [Int]) throws(LlamaError) -> WeightMatrix {
    try loader.matrix(tensor.huggingFaceName, shape)
  }

  func vector(_ tensor: BackboneTensor, _ count: Int) throws(LlamaError) -> FloatBuffer {
    try loader.vector(tensor.huggingFaceName, count)
  }

  func markTiedHead() { loader.markUsed(BackboneTensor.languageModelHead.huggingFaceName) }

  /// Stale `rotary_emb.inv_freq` buffers of old exports and the `ignoredPrefixes` (e.g.
  /// `medusa_head.` of a Medusa-2 checkpoint) are allowed.
  func rejectUnused() throws(LlamaError) {
    let prefixes = ignoredPrefixes
    try loader.rejectUnused { name in
      name.hasSuffix("rotary_emb.inv_freq") || prefixes.contains { name.hasPrefix($0) }
    }
  }
}
