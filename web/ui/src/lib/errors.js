// The server's error codes in words. The API's JSON errors and the
// socket's error messages carry a stable code (web/errors.go,
// realtime/handler.go); the English message is for API users, the pages
// show these words instead. A code not listed shows a general sentence.
import { register, t, has } from './i18n.js';

export const catalogue = {
  'zh-CN': {
    'error.invalid_request': '请求内容有误。',
    'error.invalid_json': '请求内容无法读取。',
    'error.invalid_message': '消息格式有误。',
    'error.unsupported_version': '本页面版本过旧，请刷新。',
    'error.unknown_type': '服务器不认识这条消息。',
    'error.invalid_ack': '确认消息有误。',
    'error.invalid_subscribe': '订阅范围有误。',
    'error.unavailable': '服务器暂时无法处理，请稍后再试。',
    'error.not_found': '找不到该项目，可能已被撤回。',
    'error.conflict': '该项目已被处理。',
    'error.invalid_transition': '当前状态下不能这样做。',
    'error.unauthenticated': '登录已失效，请重新打开链接。',
    'error.forbidden': '您没有权限这样做。',
    'error.body_too_large': '内容过长。',
    'error.rate_limited': '操作太频繁，请稍候。',
    'error.method_not_allowed': '不支持该操作。',
    'error.idempotency_key_reused': '重复的请求编号。',
    'error.invalid_idempotency_key': '请求编号有误。',
    'error.request_in_progress': '同一请求正在处理中。',
    'error.gone': '链接已失效。',
    'error.link_expired': '链接已过期。',
    'error.not_on_duty': '您当前不在岗。',
    'error.already_rated': '已经评价过了。',
    'error.network': '无法连接服务器。',
    'error.offline': '当前离线，连接后再试。',
    'error.internal': '服务器内部错误，可以重试。',
    'error.bbox_too_large': '地图范围太大，请放大后再看。',
    'error.invalid_location': '位置无效。',
    'error.invalid_credentials': '用户名或密码错误。',
    'error.wrong_password': '密码错误。',
    'error.user_exists': '该用户已存在。',
    'error.user_disabled': '该用户已停用。',
    'error.self_disable': '不能停用自己的账号。',
    'error.other': '出错了（{code}）。',
  },
  en: {
    'error.invalid_request': 'The request is not valid.',
    'error.invalid_json': 'The request could not be read.',
    'error.invalid_message': 'The message is not valid.',
    'error.unsupported_version': 'This page is out of date; reload it.',
    'error.unknown_type': 'The server does not know this message.',
    'error.invalid_ack': 'The acknowledgement is not valid.',
    'error.invalid_subscribe': 'The subscription is not valid.',
    'error.unavailable': 'The server cannot answer right now; try again in a moment.',
    'error.not_found': 'Not found; it may have been withdrawn.',
    'error.conflict': 'This was already dealt with.',
    'error.invalid_transition': 'That cannot be done in its present state.',
    'error.unauthenticated': 'Your session has ended; open your link again.',
    'error.forbidden': 'You are not allowed to do that.',
    'error.body_too_large': 'Too long.',
    'error.rate_limited': 'Too many requests; wait a moment.',
    'error.method_not_allowed': 'Not supported.',
    'error.idempotency_key_reused': 'The request id was used before.',
    'error.invalid_idempotency_key': 'The request id is not valid.',
    'error.request_in_progress': 'The same request is being handled.',
    'error.gone': 'The link is no longer valid.',
    'error.link_expired': 'The link has expired.',
    'error.not_on_duty': 'You are not on duty.',
    'error.already_rated': 'Already rated.',
    'error.network': 'The server cannot be reached.',
    'error.offline': 'Offline; try again when connected.',
    'error.internal': 'Internal error; it may be retried.',
    'error.bbox_too_large': 'The map shows too large an area; zoom in.',
    'error.invalid_location': 'The position is not valid.',
    'error.invalid_credentials': 'Wrong user name or password.',
    'error.wrong_password': 'Wrong password.',
    'error.user_exists': 'That user exists already.',
    'error.user_disabled': 'That user is disabled.',
    'error.self_disable': 'You cannot disable your own account.',
    'error.other': 'Something went wrong ({code}).',
  },
};

register(catalogue);

// errorText says an error's code (an APIError, a socket error's data, or a
// bare code) in the page's language.
export function errorText(err) {
  const code = typeof err === 'string' ? err : (err && err.code) || (err && err.status === 0 ? 'network' : '');
  if (code && has(`error.${code}`)) return t(`error.${code}`);
  return t('error.other', { code: code || (err && err.status) || '?' });
}
