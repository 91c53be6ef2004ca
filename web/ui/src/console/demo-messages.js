// The demo controls' words (demo.js).
export const catalogue = {
  'zh-CN': {
    'demo.load': '载入演示数据',
    'demo.load_hint': '载入示意的烟台社区、组织、物资站和数百名模拟人员，需求会陆续出现',
    'demo.marker': '演示',
    'demo.marker_hint': '地图上有演示数据：编号以 demo- 开头的需求和人员都是模拟的',
    'demo.remove': '清除演示数据',
    'demo.remove_hint': '停止演示并删除全部演示数据',
    'demo.started': '演示已开始：模拟人员已上图，需求将陆续出现。',
    'demo.removed': { other: '演示数据已清除（{count} 条记录）。' },
    'demo.running': '演示已在运行。',
    'demo.failed': '操作失败：{reason}',
  },
  en: {
    'demo.load': 'Load the demo',
    'demo.load_hint': 'Load the illustrative Yantai communities, organisations, depots and a few hundred simulated responders; needs arrive one by one',
    'demo.marker': 'DEMO',
    'demo.marker_hint': 'Demo data is on the map: needs and responders whose ids start with demo- are simulated',
    'demo.remove': 'Remove the demo',
    'demo.remove_hint': 'Stop the demo and delete every demo record',
    'demo.started': 'The demo has started: simulated responders are on the map and needs will arrive.',
    'demo.removed': { one: 'The demo was removed ({count} record).', other: 'The demo was removed ({count} records).' },
    'demo.running': 'The demo is already running.',
    'demo.failed': 'That did not work: {reason}',
  },
};
