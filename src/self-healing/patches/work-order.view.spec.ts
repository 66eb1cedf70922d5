import { describe, expect, it } from '@jest/globals';
import { estimateComplexity, priorityFromSeverity } from './work-order.view.js';

describe('work-order priority and complexity', () => {
  it('takes the priority from the incident severity, medium when it has none', () => {
    expect(priorityFromSeverity('critical')).toBe('critical');
    expect(priorityFromSeverity('low')).toBe('low');
    expect(priorityFromSeverity(null)).toBe('medium');
    expect(priorityFromSeverity('sev1')).toBe('medium');
  });

  it('grows with the agents and capabilities the failure spans; a named file narrows it', () => {
    expect(estimateComplexity({ affectedAgents: ['a'], capabilities: ['x'] })).toBe('small');
    expect(estimateComplexity({ affectedAgents: ['a', 'b'], capabilities: ['x', 'y'] })).toBe('medium');
    expect(estimateComplexity({ affectedAgents: ['a', 'b'], capabilities: ['x', 'y'], filePath: 'src/a.ts' })).toBe(
      'small',
    );
    expect(estimateComplexity({ affectedAgents: ['a', 'b', 'c', 'd'], capabilities: ['x', 'y'] })).toBe('large');
    expect(estimateComplexity({ affectedAgents: ['a', 'a', 'a'], capabilities: [] })).toBe('small'); // distinct names count
  });
});
