import 'reflect-metadata';
import { GenServerProcess, HandleCall, HandleCast, HandleInfo, TypedClientError } from 'nestjs-genserver';
import { ClassWireTypes } from '../../lib/client/client-wire-types.js';

const typeOf = (cls: Function, kind: 'call' | 'cast', method: string) => {
  const route = new ClassWireTypes(cls).route(kind, method);
  if ('error' in route) throw route.error;
  return route.type;
};

describe('wire types of a typed client', () => {
  class Base extends GenServerProcess {
    @HandleCall('base.ping') ping() {
      return 'pong';
    }
  }
  class Server extends Base {
    @HandleCall('rate.acquire') acquire() {}
    @HandleCall('set') @HandleCall('put') set() {}
    @HandleCall('alias') @HandleCall('both') both() {}
    @HandleCall() fallback() {}
    @HandleCall('x') @HandleCall() exactAndCatchAll() {}
    @HandleCast('reset') @HandleCall('reset') reset() {}
    @HandleCast() note() {}
    @HandleInfo('tick') tick() {}
    helper() {}
  }

  it('the method name when a pattern of that kind is it, else its one pattern, else (catch-all) the name', () => {
    expect(typeOf(Server, 'call', 'acquire')).toBe('rate.acquire');
    expect(typeOf(Server, 'call', 'set')).toBe('set');
    expect(typeOf(Server, 'call', 'both')).toBe('both');
    expect(typeOf(Server, 'call', 'fallback')).toBe('fallback');
    expect(typeOf(Server, 'call', 'exactAndCatchAll')).toBe('x');
    expect(typeOf(Server, 'call', 'reset')).toBe('reset');
    expect(typeOf(Server, 'cast', 'reset')).toBe('reset');
    expect(typeOf(Server, 'cast', 'note')).toBe('note');
    expect(typeOf(Server, 'call', 'ping')).toBe('base.ping'); // inherited
    expect(new ClassWireTypes(Server).problems()).toEqual([]);
  });

  it('refuses a method of the other kind, an info handler and a plain method, naming class and method', () => {
    expect(() => typeOf(Server, 'cast', 'acquire')).toThrow("Server.acquire is a @HandleCall handler, not a @HandleCast one: use client.call('acquire')");
    expect(() => typeOf(Server, 'call', 'note')).toThrow("Server.note is a @HandleCast handler, not a @HandleCall one: use client.cast('note')");
    expect(() => typeOf(Server, 'call', 'tick')).toThrow('Server.tick is not a @HandleCall handler');
    expect(() => typeOf(Server, 'call', 'helper')).toThrow(TypedClientError);
    expect(() => typeOf(Server, 'call', 'missing')).toThrow('Server.missing is not a @HandleCall handler');
  });

  it('reports an ambiguous method and a catch-all another method shadows', () => {
    class Broken extends GenServerProcess {
      @HandleCall('a') @HandleCall('b') ab() {}
      @HandleCast() get() {}
      @HandleCast('get') other() {}
      @HandleCall() fine() {}
    }
    const problems = new ClassWireTypes(Broken).problems().map((e) => [e.className, e.method]);
    expect(problems).toEqual([
      ['Broken', 'ab'],
      ['Broken', 'get'],
    ]);
    expect(() => typeOf(Broken, 'call', 'ab')).toThrow('Broken.ab carries several @HandleCall patterns ("b", "a")');
    expect(() => typeOf(Broken, 'cast', 'get')).toThrow('Broken.get is the @HandleCast() catch-all');
    expect(typeOf(Broken, 'call', 'fine')).toBe('fine');
  });
});
