import { transitions, type AlertReadings, type AlertThresholds } from './alert-conditions.js';

const thresholds: AlertThresholds = {
  handlerFailureRatio: 0.5,
  handlerMinAttempts: 10,
  handlerWindowSeconds: 300,
  backlogStaleSeconds: 300,
  signatureFailures: 20,
  signatureWindowSeconds: 300,
};

const quiet: AlertReadings = { handlers: [], dead: [], backlogAgeSeconds: 0, signatureFailures: 0, sources: [] };
const reading = (overrides: Partial<AlertReadings>): AlertReadings => ({ ...quiet, ...overrides });
const keys = (changes: ReturnType<typeof transitions>) =>
  changes.map(({ key, firing, notify }) => ({ key, firing, notify }));

describe('alert conditions', () => {
  it('quiet readings change nothing', () => {
    expect(transitions(quiet, thresholds, new Set())).toEqual([]);
  });

  describe('handler.failing', () => {
    const failing = reading({ handlers: [{ handler: 'H', attempts: 10, failures: 5 }] });

    it('fires at the threshold ratio once the window holds enough attempts', () => {
      expect(keys(transitions(failing, thresholds, new Set()))).toEqual([
        { key: 'handler.failing:H', firing: true, notify: 'handler.failing' },
      ]);
      const [change] = transitions(failing, thresholds, new Set());
      expect(change.details).toMatchObject({ handler: 'H', attempts: 10, failures: 5, failureRatio: 0.5 });
    });

    it('does not fire below the minimum number of attempts, however bad the ratio', () => {
      const few = reading({ handlers: [{ handler: 'H', attempts: 9, failures: 9 }] });
      expect(transitions(few, thresholds, new Set())).toEqual([]);
      // …nor does it recover on them while firing.
      expect(transitions(few, thresholds, new Set(['handler.failing:H']))).toEqual([]);
    });

    it('does not fire below the ratio', () => {
      const fine = reading({ handlers: [{ handler: 'H', attempts: 100, failures: 49 }] });
      expect(transitions(fine, thresholds, new Set())).toEqual([]);
    });

    it('alerts once: an already firing handler gives nothing more', () => {
      expect(transitions(failing, thresholds, new Set(['handler.failing:H']))).toEqual([]);
    });

    it('recovers when the ratio falls back, even on few attempts', () => {
      const better = reading({ handlers: [{ handler: 'H', attempts: 2, failures: 0 }] });
      expect(keys(transitions(better, thresholds, new Set(['handler.failing:H'])))).toEqual([
        { key: 'handler.failing:H', firing: false, notify: 'handler.recovered' },
      ]);
    });

    it('holds its state while the window has no attempt at all', () => {
      const idle = reading({ handlers: [{ handler: 'H', attempts: 0, failures: 0 }] });
      expect(transitions(idle, thresholds, new Set(['handler.failing:H']))).toEqual([]);
    });

    it('judges each handler on its own', () => {
      const mixed = reading({
        handlers: [
          { handler: 'A', attempts: 20, failures: 20 },
          { handler: 'B', attempts: 20, failures: 0 },
        ],
      });
      expect(keys(transitions(mixed, thresholds, new Set(['handler.failing:B'])))).toEqual([
        { key: 'handler.failing:A', firing: true, notify: 'handler.failing' },
        { key: 'handler.failing:B', firing: false, notify: 'handler.recovered' },
      ]);
    });
  });

  describe('delivery.dead', () => {
    it('re-arms silently once the handler has no dead delivery left', () => {
      const firing = new Set(['delivery.dead:H', 'delivery.dead:K']);
      const changes = transitions(reading({ dead: [{ handler: 'K', count: 2 }] }), thresholds, firing);
      expect(keys(changes)).toEqual([{ key: 'delivery.dead:H', firing: false, notify: undefined }]);
    });

    it('never fires from the readings (the dead event does)', () => {
      expect(transitions(reading({ dead: [{ handler: 'H', count: 3 }] }), thresholds, new Set())).toEqual([]);
    });
  });

  describe('backlog.stale', () => {
    it('fires at the threshold age and recovers below it', () => {
      const stale = reading({ backlogAgeSeconds: 300 });
      expect(keys(transitions(stale, thresholds, new Set()))).toEqual([
        { key: 'backlog.stale', firing: true, notify: 'backlog.stale' },
      ]);
      expect(transitions(stale, thresholds, new Set(['backlog.stale']))).toEqual([]);
      expect(keys(transitions(reading({ backlogAgeSeconds: 299 }), thresholds, new Set(['backlog.stale'])))).toEqual([
        { key: 'backlog.stale', firing: false, notify: 'backlog.recovered' },
      ]);
    });
  });

  describe('signature.failures', () => {
    it('fires at the threshold count in the window and re-arms silently below it', () => {
      expect(keys(transitions(reading({ signatureFailures: 19 }), thresholds, new Set()))).toEqual([]);
      expect(keys(transitions(reading({ signatureFailures: 20 }), thresholds, new Set()))).toEqual([
        { key: 'signature.failures', firing: true, notify: 'signature.failures' },
      ]);
      expect(keys(transitions(reading({ signatureFailures: 0 }), thresholds, new Set(['signature.failures'])))).toEqual(
        [{ key: 'signature.failures', firing: false, notify: undefined }],
      );
    });
  });

  describe('source.silent', () => {
    const sources = [
      { source: 'default', silentSeconds: 7200 },
      { source: 'stripe', silentSeconds: 10 },
    ];

    it('is off unless a silence is configured', () => {
      expect(transitions(reading({ sources }), thresholds, new Set())).toEqual([]);
    });

    it('fires per source past the silence, and re-arms when the source speaks again', () => {
      const withSilence = { ...thresholds, sourceSilentSeconds: 3600 };
      expect(keys(transitions(reading({ sources }), withSilence, new Set(['source.silent:stripe'])))).toEqual([
        { key: 'source.silent:default', firing: true, notify: 'source.silent' },
        { key: 'source.silent:stripe', firing: false, notify: undefined },
      ]);
    });
  });
});
