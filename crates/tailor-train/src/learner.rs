//! The one training loop. Every trainer (the text ranker, COURIER pretraining, the "for you"
//! head, Fashion Hash Net) supplies its part in the shape of burn-train's `TrainStep` and
//! `ValidStep`, as in Burn's `examples/mnist`: [`TrainStep`] draws an epoch's batches and turns
//! one into gradients, [`ValidStep`] scores the model after the epoch and writes its record.
//! [`fit`] owns the rest: the optimizer step, a checkpoint after every epoch (through
//! [`crate::checkpoint`]), keeping the best epoch, early stopping and the progress bar.
//!
//! It follows burn-train's shape without using its `SupervisedTraining`, because that learner
//! (0.22.1) cannot resume a run bit-exactly:
//! - its `DataLoader` shuffles every epoch with one generator that each `iter()` advances, and
//!   `.checkpoint(epoch)` does not restore it, so a run resumed after epoch k shuffles epoch
//!   k + 1 the way an uninterrupted run shuffled epoch 1;
//! - its `Batcher` sees neither the epoch nor a generator, while our batches draw negatives,
//!   synthetic shoppers and outfit swaps;
//! - its `FileCheckpointer` writes each record in place from a background thread and marks no
//!   epoch as complete, so a run killed mid-write can leave a torn file, and the caller has to
//!   name the epoch to resume from;
//! - its validation averages a metric over batches; ours ranks the whole catalog once an epoch.
//!
//! Here the batches of an epoch depend only on the run's seed and the epoch number, and an
//! epoch counts as done only once the progress record, written last, names it.

use std::path::Path;
use std::time::Instant;

use burn::module::Module;
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use burn::store::ModuleSnapshot;
use indicatif::ProgressBar;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::checkpoint::{CheckpointProgress, end_epoch, load_checkpoint, restore_checkpoint};
use crate::error::TrainError;

/// What one training step hands back: the gradients, and the numbers the epoch averages.
pub struct TrainOutput {
    pub grads: GradientsParams,
    /// The batch's loss, then the parts of it worth reporting.
    pub terms: Vec<f64>,
}

impl TrainOutput {
    /// Backpropagates `loss` through `model`, reading `loss` and `parts` as numbers first.
    pub fn new<M: Module>(model: &M, loss: Tensor<1>, parts: Vec<Tensor<1>>) -> TrainOutput {
        let terms = std::iter::once(loss.clone())
            .chain(parts)
            .map(|t| f64::from(t.into_scalar::<f32>()))
            .collect();
        TrainOutput {
            grads: GradientsParams::from_grads(loss.backward(), model),
            terms,
        }
    }
}

/// A model's training side.
pub trait TrainStep {
    type Model: Module + ModuleSnapshot;
    type Batch;

    /// How many batches [`TrainStep::batches`] yields per epoch, for the progress bar.
    fn steps_per_epoch(&self) -> usize;

    /// The batches of `epoch` (from 1), in order. They must depend on nothing but the run's
    /// seed and `epoch` (draw them from [`epoch_rng`]): that is what makes a resumed run equal
    /// to an uninterrupted one.
    fn batches(&self, epoch: usize) -> impl Iterator<Item = Self::Batch>;

    fn step(&self, model: &Self::Model, batch: Self::Batch) -> TrainOutput;
}

/// A finished epoch's training side, for [`ValidStep::record`].
pub struct EpochSummary {
    pub epoch: usize,
    /// The mean of each of [`TrainOutput::terms`] over the epoch's batches.
    pub terms: Vec<f64>,
    /// Training and validation together.
    pub seconds: f64,
}

impl EpochSummary {
    /// The epoch's mean loss.
    pub fn loss(&self) -> f64 {
        self.terms.first().copied().unwrap_or(f64::NAN)
    }

    /// The mean of the `index`-th reported part (after the loss).
    pub fn part(&self, index: usize) -> f64 {
        self.terms.get(index + 1).copied().unwrap_or(f64::NAN)
    }
}

/// A model's validation side, and how its epochs are recorded.
pub trait ValidStep: TrainStep {
    /// What validation measures.
    type Valid;
    /// One epoch as the checkpoint's progress record keeps it.
    type Record: Serialize + DeserializeOwned + Clone;

    /// Scores the model (already in validation mode) after an epoch.
    fn validate(&self, model: &Self::Model) -> Result<Self::Valid, TrainError>;

    /// The line logged for a finished epoch.
    fn describe(&self, epoch: &EpochSummary, valid: &Self::Valid) -> String;

    fn record(&self, epoch: &EpochSummary, valid: Self::Valid) -> Self::Record;

    /// The figure that picks the epoch to keep, higher being better; `None` keeps the last.
    fn score(&self, _record: &Self::Record) -> Option<f64> {
        None
    }
}

/// How long to train and how fast.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    pub epochs: usize,
    pub learning_rate: f64,
    /// Stop after this many epochs without a better [`ValidStep::score`].
    pub patience: Option<usize>,
}

impl Schedule {
    /// `epochs` epochs at `learning_rate`, without early stopping.
    pub fn fixed(epochs: usize, learning_rate: f64) -> Schedule {
        Schedule {
            epochs,
            learning_rate,
            patience: None,
        }
    }

    /// Whether a run with `epochs_done` epochs, the best being `best_epoch` (0 for none), is
    /// over: all epochs trained, or stopped early.
    pub fn finished(&self, epochs_done: usize, best_epoch: usize) -> bool {
        epochs_done >= self.epochs
            || self
                .patience
                .is_some_and(|p| best_epoch > 0 && epochs_done - best_epoch >= p)
    }
}

/// Where a run checkpoints, and which training it belongs to.
pub struct Checkpoints<'a> {
    pub dir: &'a Path,
    /// Everything that makes two trainings the same (the config, and anything else the batches
    /// depend on); a folder holding another training is refused.
    pub identity: serde_json::Value,
    /// Continue a folder that holds finished epochs; without it such a folder is refused.
    pub resume: bool,
}

impl<'a> Checkpoints<'a> {
    /// A folder that continues what it holds of the same training (and refuses another).
    pub fn resuming(dir: &'a Path, identity: serde_json::Value) -> Checkpoints<'a> {
        Checkpoints {
            dir,
            identity,
            resume: true,
        }
    }
}

/// A training with nothing to validate, whose epoch record is its mean loss: pretraining, and
/// the baselines scored only at the end. It gets its [`ValidStep`] from this.
pub trait LossOnly: TrainStep {
    /// What trains, for the log line: "COURIER pretraining epoch 3: InfoNCE 1.2345".
    const TRAINING: &'static str;
    /// The loss's name.
    const LOSS: &'static str;
}

impl<T: LossOnly> ValidStep for T {
    type Valid = ();
    /// The epoch's mean loss.
    type Record = f64;

    fn validate(&self, _model: &Self::Model) -> Result<(), TrainError> {
        Ok(())
    }

    fn describe(&self, epoch: &EpochSummary, _valid: &()) -> String {
        format!(
            "{} epoch {}: {} {:.4}",
            T::TRAINING,
            epoch.epoch,
            T::LOSS,
            epoch.loss()
        )
    }

    fn record(&self, epoch: &EpochSummary, _valid: ()) -> f64 {
        epoch.loss()
    }
}

/// A finished [`fit`].
pub struct Fitted<M, R> {
    /// The model after the last epoch, on the training device.
    pub model: M,
    pub records: Vec<R>,
    /// The epoch kept as [`crate::checkpoint::BEST_WEIGHTS_FILE`]; 0 when the step picks none.
    pub best_epoch: usize,
}

/// The generator for `epoch`'s batches: seeded by the run's seed and the epoch alone.
pub fn epoch_rng(seed: u64, epoch: usize) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed ^ (epoch as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// Trains `model` on `task`'s batches for the schedule's epochs, continuing what the checkpoint
/// folder already holds of the same training. The model must be on an autodiff device.
pub fn fit<T: ValidStep>(
    task: &T,
    model: T::Model,
    optimizer: ModuleOptimizer,
    schedule: &Schedule,
    checkpoints: &Checkpoints<'_>,
    progress: &ProgressBar,
    log: &dyn Fn(&str),
) -> Result<Fitted<T::Model, T::Record>, TrainError> {
    let (mut model, mut optimizer) = (model, optimizer);
    let mut records: Vec<T::Record> = Vec::new();
    let mut best_epoch = 0;
    if let Some(saved) =
        restore_checkpoint::<T::Record>(checkpoints.dir, &checkpoints.identity, checkpoints.resume)?
        && saved.epochs_done > 0
    {
        (model, optimizer) = load_checkpoint(checkpoints.dir, saved.epochs_done, model, optimizer)?;
        records = saved.records;
        best_epoch = saved.best_epoch;
    }

    let steps = task.steps_per_epoch();
    progress.set_length((steps * schedule.epochs) as u64);
    progress.set_position((steps * records.len()) as u64);
    progress.reset_eta();
    while !schedule.finished(records.len(), best_epoch) {
        let epoch = records.len() + 1;
        let started = Instant::now();
        let mut sums: Vec<f64> = Vec::new();
        let mut batches = 0usize;
        for batch in task.batches(epoch) {
            let output = task.step(&model, batch);
            sums.resize(sums.len().max(output.terms.len()), 0.0);
            for (sum, term) in sums.iter_mut().zip(&output.terms) {
                *sum += term;
            }
            batches += 1;
            model = optimizer.step(schedule.learning_rate, model, output.grads);
            progress.inc(1);
            progress.set_message(format!(
                "epoch {epoch}/{}  loss {:.4}",
                schedule.epochs,
                output.terms.first().copied().unwrap_or(f64::NAN)
            ));
        }
        let valid = task.validate(&model.valid())?;
        let summary = EpochSummary {
            epoch,
            terms: sums.iter().map(|s| s / batches.max(1) as f64).collect(),
            seconds: started.elapsed().as_secs_f64(),
        };
        log(&task.describe(&summary, &valid));
        let record = task.record(&summary, valid);
        if let Some(score) = task.score(&record) {
            let best = best_epoch
                .checked_sub(1)
                .and_then(|i| records.get(i))
                .and_then(|r| task.score(r))
                .unwrap_or(f64::NEG_INFINITY);
            if score > best {
                best_epoch = epoch;
            }
        }
        records.push(record);
        end_epoch(
            checkpoints.dir,
            &CheckpointProgress {
                config: checkpoints.identity.clone(),
                epochs_done: epoch,
                records: records.clone(),
                best_epoch,
            },
            &model,
            &optimizer,
        )?;
    }
    Ok(Fitted {
        model,
        records,
        best_epoch,
    })
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::panic::{AssertUnwindSafe, catch_unwind};

    use burn::nn::{Linear, LinearConfig};
    use burn::optim::AdamConfig;
    use rand::Rng;
    use serde::Deserialize;

    use super::*;

    /// y = 3x - 1 plus noise, fitted by one linear unit in batches of 8.
    struct LineFit {
        x: Vec<f32>,
        y: Vec<f32>,
        device: Device,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Epoch {
        epoch: usize,
        loss: f64,
        valid_error: f64,
    }

    impl LineFit {
        fn new(device: &Device) -> LineFit {
            let mut rng = epoch_rng(7, 0);
            let x: Vec<f32> = (0..64).map(|i| i as f32 / 32.0 - 1.0).collect();
            let y = x
                .iter()
                .map(|x| 3.0 * x - 1.0 + rng.random_range(-0.1..0.1))
                .collect();
            LineFit {
                x,
                y,
                device: device.clone(),
            }
        }

        fn error(&self, model: &Linear, rows: &[usize]) -> Tensor<1> {
            let column = |values: &[f32]| {
                let picked: Vec<f32> = rows.iter().map(|&r| values[r]).collect();
                Tensor::<1>::from_floats(picked.as_slice(), &self.device).reshape([rows.len(), 1])
            };
            let predicted = model.forward(column(&self.x));
            (predicted - column(&self.y)).powi_scalar(2).mean()
        }
    }

    impl TrainStep for LineFit {
        type Model = Linear;
        type Batch = Vec<usize>;

        fn steps_per_epoch(&self) -> usize {
            self.x.len() / 8
        }

        fn batches(&self, epoch: usize) -> impl Iterator<Item = Vec<usize>> {
            use rand::seq::SliceRandom;
            let mut order: Vec<usize> = (0..self.x.len()).collect();
            order.shuffle(&mut epoch_rng(7, epoch));
            let batches: Vec<Vec<usize>> = order.chunks(8).map(<[_]>::to_vec).collect();
            batches.into_iter()
        }

        fn step(&self, model: &Linear, batch: Vec<usize>) -> TrainOutput {
            TrainOutput::new(model, self.error(model, &batch), Vec::new())
        }
    }

    impl ValidStep for LineFit {
        type Valid = f64;
        type Record = Epoch;

        fn validate(&self, model: &Linear) -> Result<f64, TrainError> {
            let rows: Vec<usize> = (0..self.x.len()).collect();
            Ok(f64::from(self.error(model, &rows).into_scalar::<f32>()))
        }

        fn describe(&self, epoch: &EpochSummary, valid: &f64) -> String {
            format!("epoch {}: valid {valid}", epoch.epoch)
        }

        fn record(&self, epoch: &EpochSummary, valid: f64) -> Epoch {
            Epoch {
                epoch: epoch.epoch,
                loss: epoch.loss(),
                valid_error: valid,
            }
        }

        fn score(&self, record: &Epoch) -> Option<f64> {
            Some(-record.valid_error)
        }
    }

    const SCHEDULE: Schedule = Schedule {
        epochs: 6,
        learning_rate: 0.05,
        patience: None,
    };

    /// Burn seeds its initialisation per process: two tests that initialise at once would draw
    /// each other's weights.
    static ONE_TRAINING_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

    fn train(
        dir: &Path,
        schedule: &Schedule,
        log: &dyn Fn(&str),
    ) -> Result<(Vec<f32>, Vec<Epoch>, usize), TrainError> {
        let _turn = ONE_TRAINING_AT_A_TIME
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let device = Device::flex().autodiff();
        device.seed(3);
        let task = LineFit::new(&device);
        let fitted = fit(
            &task,
            LinearConfig::new(1, 1).init(&device),
            AdamConfig::new().init(),
            schedule,
            &Checkpoints {
                dir,
                identity: serde_json::json!({ "task": "line" }),
                resume: true,
            },
            &ProgressBar::hidden(),
            log,
        )?;
        let weights = fitted.model.weight.val().into_data().try_to_vec::<f32>()?;
        Ok((weights, fitted.records, fitted.best_epoch))
    }

    #[test]
    fn a_run_killed_mid_epoch_resumes_to_the_same_weights() {
        let temp = tempfile::tempdir().unwrap();
        let (whole, whole_records, best) =
            train(&temp.path().join("whole"), &SCHEDULE, &|_| {}).unwrap();
        assert!(whole_records.last().unwrap().valid_error < whole_records[0].valid_error);
        assert!(best > 0);

        let dir = temp.path().join("killed");
        let killed = catch_unwind(AssertUnwindSafe(|| {
            train(&dir, &SCHEDULE, &|line| {
                assert!(!line.starts_with("epoch 4:"), "killed");
            })
        }));
        assert!(killed.is_err());
        let said = RefCell::new(Vec::new());
        let (resumed, records, resumed_best) = train(&dir, &SCHEDULE, &|line| {
            said.borrow_mut().push(line.to_string())
        })
        .unwrap();
        assert!(said.borrow()[0].starts_with("epoch 4:"), "{said:?}");
        assert_eq!(said.borrow().len(), 3);
        assert_eq!(resumed, whole);
        assert_eq!(resumed_best, best);
        let losses = |r: &[Epoch]| {
            r.iter()
                .map(|e| format!("{:.12e}", e.loss))
                .collect::<Vec<_>>()
        };
        assert_eq!(losses(&records), losses(&whole_records));
    }

    #[test]
    fn another_training_in_the_folder_is_refused_and_patience_stops_early() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("run");
        train(&dir, &SCHEDULE, &|_| {}).unwrap();
        let turn = ONE_TRAINING_AT_A_TIME
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let device = Device::flex().autodiff();
        let other = fit(
            &LineFit::new(&device),
            LinearConfig::new(1, 1).init(&device),
            AdamConfig::new().init(),
            &SCHEDULE,
            &Checkpoints {
                dir: &dir,
                identity: serde_json::json!({ "task": "another" }),
                resume: true,
            },
            &ProgressBar::hidden(),
            &|_| {},
        );
        drop(turn);
        assert!(matches!(other, Err(TrainError::OtherTraining { .. })));

        // With a learning rate of 0 no epoch beats the first: stopped after 2 more.
        let frozen = Schedule {
            epochs: 20,
            learning_rate: 0.0,
            patience: Some(2),
        };
        let (_, records, best) = train(&temp.path().join("frozen"), &frozen, &|_| {}).unwrap();
        assert_eq!((records.len(), best), (3, 1));
        assert!(frozen.finished(3, 1) && !frozen.finished(2, 1));
    }
}
