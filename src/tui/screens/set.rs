//! The app's screens, one of each kind (the stream, time travel, as-of and workbench
//! screens once something opened them), reached by id.

use super::asof::AsOfScreen;
use super::health::HealthScreen;
use super::log::LogScreen;
use super::snapshots::SnapshotsScreen;
use super::stream::StreamScreen;
use super::streams::StreamsScreen;
use super::travel::TravelScreen;
use super::types::TypesScreen;
use super::workbench::WorkbenchScreen;
use super::{Screen, ScreenId};

pub struct ScreenSet {
    pub streams: StreamsScreen,
    pub log: LogScreen,
    pub stream: Option<StreamScreen>,
    pub travel: Option<TravelScreen>,
    pub as_of: Option<AsOfScreen>,
    pub snapshots: SnapshotsScreen,
    pub workbench: Option<WorkbenchScreen>,
    pub types: TypesScreen,
    pub health: HealthScreen,
}

impl ScreenSet {
    pub fn new(writable: bool) -> ScreenSet {
        ScreenSet {
            streams: StreamsScreen::default(),
            log: LogScreen::default(),
            stream: None,
            travel: None,
            as_of: None,
            snapshots: SnapshotsScreen::new(writable),
            workbench: None,
            types: TypesScreen::default(),
            health: HealthScreen::default(),
        }
    }

    pub fn get(&self, id: ScreenId) -> Option<&dyn Screen> {
        match id {
            ScreenId::Streams => Some(&self.streams),
            ScreenId::Log => Some(&self.log),
            ScreenId::Stream => self.stream.as_ref().map(|s| s as &dyn Screen),
            ScreenId::TimeTravel => self.travel.as_ref().map(|s| s as &dyn Screen),
            ScreenId::AsOf => self.as_of.as_ref().map(|s| s as &dyn Screen),
            ScreenId::Snapshots => Some(&self.snapshots),
            ScreenId::Workbench => self.workbench.as_ref().map(|s| s as &dyn Screen),
            ScreenId::Types => Some(&self.types),
            ScreenId::Health => Some(&self.health),
        }
    }

    pub fn get_mut(&mut self, id: ScreenId) -> Option<&mut dyn Screen> {
        match id {
            ScreenId::Streams => Some(&mut self.streams),
            ScreenId::Log => Some(&mut self.log),
            ScreenId::Stream => self.stream.as_mut().map(|s| s as &mut dyn Screen),
            ScreenId::TimeTravel => self.travel.as_mut().map(|s| s as &mut dyn Screen),
            ScreenId::AsOf => self.as_of.as_mut().map(|s| s as &mut dyn Screen),
            ScreenId::Snapshots => Some(&mut self.snapshots),
            ScreenId::Workbench => self.workbench.as_mut().map(|s| s as &mut dyn Screen),
            ScreenId::Types => Some(&mut self.types),
            ScreenId::Health => Some(&mut self.health),
        }
    }

    /// Every screen that exists.
    pub fn all_mut(&mut self) -> Vec<&mut dyn Screen> {
        let mut all: Vec<&mut dyn Screen> = vec![&mut self.streams, &mut self.log];
        if let Some(s) = self.stream.as_mut() {
            all.push(s);
        }
        if let Some(s) = self.travel.as_mut() {
            all.push(s);
        }
        if let Some(s) = self.as_of.as_mut() {
            all.push(s);
        }
        all.push(&mut self.snapshots);
        if let Some(s) = self.workbench.as_mut() {
            all.push(s);
        }
        all.push(&mut self.types);
        all.push(&mut self.health);
        all
    }

    /// Whether any screen waits for an answer.
    pub fn busy(&self) -> bool {
        [
            ScreenId::Streams,
            ScreenId::Log,
            ScreenId::Stream,
            ScreenId::TimeTravel,
            ScreenId::AsOf,
            ScreenId::Snapshots,
            ScreenId::Types,
            ScreenId::Health,
        ]
        .into_iter()
        .any(|id| self.get(id).is_some_and(|s| s.busy()))
    }

    /// Whether the workbench holds edits not saved to its file.
    pub fn unsaved_script(&self) -> bool {
        self.workbench.as_ref().is_some_and(|w| w.dirty)
    }
}
