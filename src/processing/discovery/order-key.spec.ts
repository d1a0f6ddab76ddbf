import { MAX_ORDER_KEY_LENGTH, orderingEvent, orderKeyOf, pathReader, type HandlerOrdering } from './order-key.js';

const event = (data: Record<string, unknown>) =>
  orderingEvent({ id: 'e1', external_id: 'evt_1', source: 'default', type: 't', payload: { type: 't', data } });
const byPath = (path: string, more: Partial<HandlerOrdering> = {}): HandlerOrdering => ({
  describe: path,
  keyOf: pathReader(path)!,
  onDead: 'block',
  onMissingKey: 'refuse',
  ...more,
});

describe('pathReader', () => {
  it('reads nested own properties and array indexes, and nothing inherited', () => {
    expect(pathReader('data.customer.id')!(event({ customer: { id: 'c_1' } }))).toBe('c_1');
    expect(pathReader('data.items.0')!(event({ items: ['first'] }))).toBe('first');
    expect(pathReader('data.constructor')!(event({}))).toBeUndefined();
    expect(pathReader('data.a.b')!(event({ a: 'not an object' }))).toBeUndefined();
  });

  it('refuses what is not a dotted path', () => {
    for (const path of ['', 'data.', '.data', 'data..id', 'data[0]', 'data id', '0.data']) {
      expect(pathReader(path)).toBeUndefined();
    }
  });
});

describe('orderKeyOf', () => {
  it('turns strings and numbers into keys', () => {
    expect(orderKeyOf(byPath('data.sub'), event({ sub: 'sub_1' }))).toEqual({ key: 'sub_1' });
    expect(orderKeyOf(byPath('data.sub'), event({ sub: 42 }))).toEqual({ key: '42' });
  });

  it('refuses a missing or empty key with a message naming the path, unless told to run it unordered', () => {
    const refused = orderKeyOf(byPath('data.sub'), event({}));
    expect(refused).toEqual({
      refusal: expect.stringMatching(/^ordering key missing: orderBy \(data\.sub\) gave undefined/),
    });
    expect(orderKeyOf(byPath('data.sub'), event({ sub: '' }))).toEqual({
      refusal: expect.stringContaining('gave an empty string'),
    });
    expect(orderKeyOf(byPath('data.sub', { onMissingKey: 'unordered' }), event({ sub: null }))).toEqual({ key: null });
  });

  it('refuses keys that are not strings or numbers, too long, or whose function throws', () => {
    expect(orderKeyOf(byPath('data.sub'), event({ sub: { id: 1 } }))).toEqual({
      refusal: expect.stringContaining('gave a object, not a string or number'),
    });
    expect(orderKeyOf(byPath('data.sub'), event({ sub: 'x'.repeat(MAX_ORDER_KEY_LENGTH + 1) }))).toEqual({
      refusal: expect.stringContaining('more than 500'),
    });
    const throwing: HandlerOrdering = {
      describe: 'function',
      keyOf: () => {
        throw new Error('boom');
      },
      onDead: 'block',
      onMissingKey: 'unordered',
    };
    expect(orderKeyOf(throwing, event({}))).toEqual({ refusal: 'ordering key: orderBy (function) threw: boom' });
  });
});
