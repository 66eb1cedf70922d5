/**
 * `local/message-constructor`: every command, query and event class (`*.command.ts`, `*.query.ts`,
 * `*.event.ts`) takes one typed props object, in one idiom (CONVENTIONS.md, CONTRIBUTING.md):
 *
 *   export interface SetKillSwitchProps { tenantId: string; … }
 *   export interface SetKillSwitch extends SetKillSwitchProps {}
 *   export class SetKillSwitch extends Command<KillSwitchChange> {
 *     constructor(props: SetKillSwitchProps) { super(); Object.assign(this, props); }
 *   }
 *
 * So a call site reads `new SetKillSwitch({ tenantId, agentId, active: true, actor })`, and the
 * message's fields are the props interface, nowhere else. One message class per file.
 */

/** @param {import('estree').Node | null | undefined} node */
const isSuperCall = (node) =>
  node?.type === 'ExpressionStatement' &&
  node.expression.type === 'CallExpression' &&
  node.expression.callee.type === 'Super' &&
  node.expression.arguments.length === 0;

/** `Object.assign(this, props)`, exactly. */
const isAssignProps = (node) => {
  if (node?.type !== 'ExpressionStatement' || node.expression.type !== 'CallExpression') return false;
  const { callee, arguments: args } = node.expression;
  return (
    callee.type === 'MemberExpression' &&
    callee.object.type === 'Identifier' &&
    callee.object.name === 'Object' &&
    callee.property.type === 'Identifier' &&
    callee.property.name === 'assign' &&
    args.length === 2 &&
    args[0].type === 'ThisExpression' &&
    args[1].type === 'Identifier' &&
    args[1].name === 'props'
  );
};

/** @type {import('eslint').Rule.RuleModule} */
export const messageConstructor = {
  meta: {
    type: 'suggestion',
    docs: {
      description: 'Commands, queries and events take one typed props object, assigned with Object.assign(this, props)',
    },
    schema: [],
    messages: {
      oneClass: 'One message class per file.',
      notExported: 'A message class is exported.',
      members: 'A message class declares only its constructor: its fields are `{{props}}`, merged in by its interface.',
      noConstructor: 'A message class has a constructor `constructor(props: {{props}})`.',
      param: 'The constructor takes one parameter, `props: {{props}}`.',
      body: 'The constructor body is exactly `{{body}}`.',
      noPropsInterface: 'Declare `export interface {{props}} { … }` with the message’s fields in this file.',
      noMerge: 'Declare `export interface {{name}} extends {{props}} {}` so the fields are typed on the message.',
    },
  },
  create(context) {
    /** @type {import('estree').ClassDeclaration[]} */
    const classes = [];
    /** @type {Map<string, import('@typescript-eslint/types').TSESTree.TSInterfaceDeclaration>} */
    const interfaces = new Map();
    const exported = new Set();

    return {
      ClassDeclaration(node) {
        classes.push(node);
        if (node.parent.type === 'ExportNamedDeclaration') exported.add(node);
      },
      TSInterfaceDeclaration(node) {
        interfaces.set(node.id.name, node);
      },
      'Program:exit'() {
        for (const [i, cls] of classes.entries()) {
          if (i > 0) context.report({ node: cls, messageId: 'oneClass' });
          const name = cls.id?.name ?? '';
          const props = `${name}Props`;
          const data = {
            name,
            props,
            body: cls.superClass ? 'super(); Object.assign(this, props);' : 'Object.assign(this, props);',
          };
          if (!exported.has(cls)) context.report({ node: cls, messageId: 'notExported' });

          const propsInterface = interfaces.get(props);
          if (!propsInterface || propsInterface.parent.type !== 'ExportNamedDeclaration')
            context.report({ node: cls.id ?? cls, messageId: 'noPropsInterface', data });
          const merged = interfaces.get(name);
          const mergesProps =
            merged?.body.body.length === 0 &&
            merged.extends.length === 1 &&
            merged.extends[0].expression.type === 'Identifier' &&
            merged.extends[0].expression.name === props &&
            !merged.extends[0].typeArguments;
          if (!mergesProps) context.report({ node: cls.id ?? cls, messageId: 'noMerge', data });

          const constructors = cls.body.body.filter((m) => m.type === 'MethodDefinition' && m.kind === 'constructor');
          for (const member of cls.body.body)
            if (!constructors.includes(member)) context.report({ node: member, messageId: 'members', data });
          const ctor = constructors[0];
          if (!ctor) {
            context.report({ node: cls.id ?? cls, messageId: 'noConstructor', data });
            continue;
          }
          const params = ctor.value.params;
          const param = params[0];
          const typed =
            params.length === 1 &&
            param.type === 'Identifier' &&
            param.name === 'props' &&
            !param.optional &&
            param.typeAnnotation?.typeAnnotation.type === 'TSTypeReference' &&
            param.typeAnnotation.typeAnnotation.typeName.type === 'Identifier' &&
            param.typeAnnotation.typeAnnotation.typeName.name === props;
          if (!typed) context.report({ node: param ?? ctor, messageId: 'param', data });

          const statements = ctor.value.body?.body ?? [];
          const bodyOk = cls.superClass
            ? statements.length === 2 && isSuperCall(statements[0]) && isAssignProps(statements[1])
            : statements.length === 1 && isAssignProps(statements[0]);
          if (!bodyOk) context.report({ node: ctor.value.body ?? ctor, messageId: 'body', data });
        }
      },
    };
  },
};

export default { rules: { 'message-constructor': messageConstructor } };
