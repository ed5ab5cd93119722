import Foundation
import GoldenSupport
import Medusa
import MedusaKernels
import MedusaTraining
import XCTest

/// Two training steps against PyTorch (Golden/cases/training/step.json, written by
/// Golden/tools/training/reference_step.py): loss, per-head losses, gradient norm and every
/// gradient of step 1, and the parameters after AdamW steps 1 and 2 (clipping active, weight
/// decay on, λ = (1, 0.8)).
///
/// Tolerances (`Float` against PyTorch's `float32`, which sums in other orders): losses 1e-5
/// relative; gradients 2e-6 of the largest gradient (measured 3.5e-7); parameters 5e-6 absolute
/// (measured 1.4e-6; each step moves
/// an element by up to the learning rate, 0.01).
final class TrainingReferenceStepTests: XCTestCase {
  func testTwoStepsMatchPyTorch() throws {
    let case_ = try Golden.json("Golden/cases/training/step.json")
    func int(_ key: String) throws -> Int { try XCTUnwrap((case_[key] as? NSNumber)?.intValue) }
    func double(_ key: String) throws -> Double {
      try XCTUnwrap((case_[key] as? NSNumber)?.doubleValue)
    }
    func packed(_ key: String) -> [Float] {
      ((case_[key] as? [[NSNumber]]) ?? []).flatMap { $0.map(\.floatValue) }
    }
    let shape = HeadShape(
      heads: try int("heads"), layers: try int("layers"), hidden: try int("hidden_size"),
      vocabulary: try int("vocab_size"))
    XCTAssertEqual(
      shape.tensors.map(\.name), (case_["tensor_names"] as? [String]) ?? [],
      "the Swift packing order is the PyTorch state_dict order")
    let rows = try int("rows")
    let hidden = Golden.floats(case_["hidden"])
    let targets = ((case_["targets"] as? [NSNumber]) ?? []).map { Int32($0.intValue) }
    let initial = packed("parameters")
    XCTAssertEqual(initial.count, shape.parameterCount)

    // Step 1's loss and raw gradients.
    let workspace = HeadGradients(shape: shape, maxRows: rows, parallelism: .serial)
    let gradients = TrainingBuffer(shape.parameterCount)
    let loss = workspace.run(
      parameters: initial, gradients: gradients.base, hidden: hidden, targets: targets, rows: rows,
      lossWeights: [1, 0.8])
    XCTAssertEqual(loss, try double("loss"), accuracy: 1e-5 * abs(try double("loss")))
    let headLosses = ((case_["head_losses"] as? [NSNumber]) ?? []).map(\.doubleValue)
    for k in 0..<shape.heads {
      XCTAssertEqual(workspace.headLoss(k), headLosses[k], accuracy: 1e-5 * headLosses[k])
    }
    let expected = packed("gradients")
    let largest = expected.map(abs).max() ?? 1
    var worst: Float = 0
    for (got, want) in zip(gradients.array, expected) { worst = max(worst, abs(got - want)) }
    XCTAssertLessThan(worst, 2e-6 * largest, "largest gradient error \(worst)")

    // The trainer's steps: clipping, schedule, AdamW.
    let examples = try TrainingExamples(
      hidden: hidden, targets: targets, heads: shape.heads, hiddenSize: shape.hidden)
    let parameters = TrainingBuffer(shape.parameterCount)
    parameters.base.update(from: initial, count: initial.count)
    let trainer = try HeadTrainer(
      shape: shape,
      options: HeadTrainingOptions(
        steps: try int("steps"), batchRows: rows, learningRate: Float(try double("learning_rate")),
        warmupSteps: try int("warmup_steps"), weightDecay: Float(try double("weight_decay")),
        maxGradientNorm: try double("max_grad_norm"), headDecay: 0.8),
      examples: examples, parameters: parameters, parallelism: .serial)
    for step in 1...2 {
      let report = trainer.step()
      if step == 1 {
        XCTAssertEqual(
          report.gradientNorm, try double("gradient_norm"),
          accuracy: 1e-5 * (try double("gradient_norm")))
      }
      var error: Float = 0
      for (got, want) in zip(trainer.parameters.array, packed("parameters_after_step_\(step)")) {
        error = max(error, abs(got - want))
      }
      XCTAssertLessThan(error, 5e-6, "largest parameter error after step \(step)")
    }
  }
}
